"""Serving a stored upload back: an attachment only its permitted readers get (the views check
who may), never sniffed into something else by the browser, never kept in a shared cache."""
from __future__ import annotations

from flask import abort, send_file

from .services import path_of


def private_download(stored_name: str, content_type: str, download_name: str):
    path = path_of(stored_name)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=content_type, as_attachment=True,
                         download_name=download_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
