"""Serving a stored upload back: an attachment only its permitted readers get (the views check
who may), never sniffed into something else by the browser, never kept in a shared cache."""

from __future__ import annotations

import os

from flask import abort, send_file

from .services import ALLOWED, path_of


def served_name(download_name: str, content_type: str) -> str:
    """The uploader's file name with the extension of the type the bytes were found to be:
    "poly.html" holding a PDF is served as "poly.pdf", never as something a browser or the
    reader's desktop would open as HTML or a program."""
    stem, _ext = os.path.splitext(download_name or "")
    return (stem.strip(". ") or "document") + ALLOWED.get(content_type, ".bin")


def private_download(stored_name: str, content_type: str, download_name: str):
    path = path_of(stored_name)
    if not path.is_file():
        abort(404)
    if content_type not in ALLOWED:  # only what store() accepted is ever served
        abort(404)
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=True,
        download_name=served_name(download_name, content_type),
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def private_inline(stored_name: str, content_type: str):
    """A stored file shown in the page (an exam item's image or audio), to readers the view
    has checked: never cached, never sniffed into something else. The caller vouches for
    `content_type` (it was decided from the bytes when the file was kept)."""
    path = path_of(stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=content_type, conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
