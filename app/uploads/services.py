"""Storing an uploaded file safely and serving it only to those allowed to see it.

The type is decided by the bytes, not the name: PDF, JPEG and PNG only, and the file must
really open as one (a PNG header on garbage is refused).
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _
from PIL import Image
from pypdf import PdfReader

from ..common.errors import ValidationFailed

ALLOWED = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


@dataclass
class StoredFile:
    stored_name: str
    content_type: str
    size: int
    sha256: str
    original_name: str


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def sniff(data: bytes) -> str | None:
    """The real content type of `data`, if it is one we accept and it opens; else None."""
    kind = filetype.guess(data)
    mime = kind.mime if kind else None
    if mime not in ALLOWED:
        return None
    try:
        if mime == "application/pdf":
            reader = PdfReader(io.BytesIO(data))
            if len(reader.pages) < 1:
                return None
        else:
            with Image.open(io.BytesIO(data)) as img:
                img.verify()
    except Exception:  # any parser failure means "not really that type"
        return None
    return mime


def _clean_name(original_name: str | None) -> str:
    """The file's own name, without any folder (browsers on Windows may send C:\\...\\x.pdf)
    and without control characters, which have no place in a Content-Disposition header."""
    name = os.path.basename((original_name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-255:] if name else "file"


def store(data: bytes, original_name: str) -> StoredFile:
    """Check and write the file; raise ValidationFailed naming the file otherwise."""
    name = _clean_name(original_name)
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if not data:
        raise ValidationFailed(_("%(name)s is empty.", name=name), "file")
    if len(data) > limit:
        raise ValidationFailed(
            _("%(name)s is larger than %(mb)s MB.", name=name, mb=round(limit / 1024 / 1024, 1)), "file"
        )
    mime = sniff(data)
    if mime is None:
        raise ValidationFailed(_("%(name)s is not a PDF, JPEG or PNG file.", name=name), "file")
    stored_name = secrets.token_hex(16) + ALLOWED[mime]
    target = upload_dir() / stored_name
    with open(target, "xb") as fh:
        fh.write(data)
    return StoredFile(stored_name, mime, len(data), hashlib.sha256(data).hexdigest(), name)


def keep_by_digest(data: bytes, suffix: str) -> str:
    """Write bytes another capability has already checked (the exam bank's images and audio)
    under their SHA-256: the same bytes are kept once however many items use them. Returns the
    stored name."""
    if not suffix.startswith(".") or not suffix[1:].isalnum():
        raise ValueError("bad suffix")
    stored_name = hashlib.sha256(data).hexdigest() + suffix.lower()
    target = upload_dir() / stored_name
    if not target.exists():
        partial = target.with_name(f".{stored_name}.{secrets.token_hex(4)}")
        with open(partial, "xb") as fh:
            fh.write(data)
        os.replace(partial, target)  # whole or not at all, even with two imports at once
    return stored_name


def path_of(stored_name: str) -> Path:
    # Stored names are ours (hex + extension); refuse anything that could climb directories.
    if "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("bad stored name")
    return upload_dir() / stored_name


def remove(stored_name: str) -> None:
    try:
        path_of(stored_name).unlink()
    except FileNotFoundError:
        pass
