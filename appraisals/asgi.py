"""ASGI entry point for servers (``uvicorn appraisals.asgi:app``): settings from the environment."""

from __future__ import annotations

from appraisals.app import create_app

app = create_app()
