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


@pytest.mark.parametrize(
    ("origin", "fetch_site", "allowed"),
    [
        ("null", "same-origin", True),  # Referrer-Policy no-referrer: Origin is "null"
        (None, "same-origin", True),
        ("null", "cross-site", False),  # a sandboxed frame elsewhere
        ("null", "same-site", False),  # another origin of the same site
        ("https://evil.example", "same-origin", False),  # Origin wins
    ],
)
def test_fetch_metadata_decides_when_the_origin_is_withheld(
    origin: str | None, fetch_site: str, allowed: bool
) -> None:
    assert same_origin(origin, None, SITE, fetch_site) is allowed
