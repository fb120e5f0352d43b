"""Where item images and audio are served, for the views and socket handlers that show items
(services are given these as a parameter: they build no URLs)."""

from __future__ import annotations

from flask import url_for


def media_base(version_id: int) -> str:
    """The path an item version's files are served under: base + the name in its text."""
    # (a path, also where no request context is: the online test's light events)
    return url_for("exams.item_media", version_id=version_id, name="-", _external=False).removesuffix("-")


def upload_media_base(token: str, code: str) -> str:
    """Where the files of an item in an upload awaiting confirmation are shown (the preview)."""
    return url_for("exams.bank_upload_media", token=token, code=code, name="-").removesuffix("-")
