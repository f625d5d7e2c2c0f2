"""The dashboard's CSRF check: state-changing forms only from this site's own pages."""

from __future__ import annotations

import pytest

from web.session import same_origin

SITE = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("origin", "referer"),
    [
        ("http://127.0.0.1:8000", None),
        ("HTTP://127.0.0.1:8000", "https://elsewhere.example/"),  # Origin wins over Referer
        (None, "http://127.0.0.1:8000/reviews/1"),
        ("null", "http://127.0.0.1:8000/"),
    ],
)
def test_a_request_from_this_site_passes(origin: str | None, referer: str | None) -> None:
    assert same_origin(origin, referer, SITE)


@pytest.mark.parametrize(
    ("origin", "referer"),
    [
        ("https://evil.example", None),
        ("http://127.0.0.1:8001", None),  # another port is another origin
        ("https://127.0.0.1:8000", None),  # and so is another scheme
        ("https://evil.example", "http://127.0.0.1:8000/"),
        (None, "https://evil.example/http://127.0.0.1:8000"),
        (None, None),  # neither header: refused
        ("null", None),
        (None, "/relative"),
    ],
)
def test_a_request_from_elsewhere_is_refused(origin: str | None, referer: str | None) -> None:
    assert not same_origin(origin, referer, SITE)
