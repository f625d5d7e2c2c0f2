"""One JSON log format for every process (serve, worker, the runner and sealer threads).

structlog's own loggers and the standard library's (uvicorn, dramatiq, projections, replay)
end in the same handler and renderer: one JSON object per line on stderr, with ``timestamp``,
``level``, ``logger`` and ``event`` always present.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import structlog

# Loggers that install handlers of their own; ours replace them so nothing prints twice.
_THIRD_PARTY = ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq", "eventsourcing")


def _dumps(obj: Any, **_: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


def json_formatter() -> logging.Formatter:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ],
    )


def configure_logging(level: str = "INFO") -> None:
    """Route every logger of the process to one JSON handler on stderr (idempotent)."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(
            f"APPRAISALS_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}"
        )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
    for name in _THIRD_PARTY:
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # uvicorn's access lines would repeat the one our middleware writes per request.
    logging.getLogger("uvicorn.access").disabled = True
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=False,
    )
