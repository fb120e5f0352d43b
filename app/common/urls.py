"""Where the site may send a browser, and the absolute links it gives out.

`safe_next` is the one check for every `next=` parameter (login, the language switch, ...):
only a path on this site, never another host however the URL is spelt. `external_url` builds
the links that leave the site (emails, the announcement PDF's verification link) from the
configured PUBLIC_BASE_URL, never from the Host header a client chose.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import current_app, has_request_context, url_for

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site ("/rounds?q=1"), else None.

    Refused: absolute URLs (`https://evil`), scheme-relative ones (`//evil`, `/\\evil`, which
    browsers read as `//evil`), a scheme without slashes (`https:evil`), control characters and
    the same tricks percent-encoded once or twice (`/%2F%2Fevil`, `%2F%5Cevil`).
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    decoded = target
    for _ in range(3):  # a path that is still a trick after decoding is refused
        if _CONTROL.search(decoded) or "\\" in decoded:
            return None
        if not decoded.startswith("/") or decoded.startswith("//"):
            return None
        parts = urlsplit(decoded)
        if parts.scheme or parts.netloc:
            return None
        once_more = unquote(decoded)
        if once_more == decoded:
            break
        decoded = once_more
    return target


def external_url(endpoint: str, **values) -> str:
    """An absolute link for outside the site: PUBLIC_BASE_URL + the path when configured
    (production requires it), else the request's own host, which TRUSTED_HOSTS limits."""
    base = (current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    if base:
        return base + url_for(endpoint, _external=False, **values)
    return url_for(endpoint, _external=True, **values)


def message_link(endpoint: str, **values) -> str:
    """A link for a message built anywhere (an invitation from a request, a job or the CLI):
    absolute when the site's address is known (PUBLIC_BASE_URL, the request, SERVER_NAME), else
    the path alone. The one place outside views allowed to build such links; services ask here
    rather than calling `url_for` or inventing a request."""
    if has_request_context() or current_app.config["SERVER_NAME"]:
        return external_url(endpoint, **values)
    with current_app.test_request_context():  # (only to build the path: no request is served)
        path = url_for(endpoint, **values)
    base = (current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + path if base else path


def has_public_base_url() -> bool:
    """Whether absolute links are fixed by configuration (so a public cache may keep them)."""
    return bool(current_app.config["PUBLIC_BASE_URL"])
