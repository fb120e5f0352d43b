"""Images and audio kept with items in the bank: reading them with an item, keeping them with
its version, and who may fetch them.

An item's text names its files (`![alternative text](figure.png)`, app/exams/content.py). An
importer gives `gather` a way to read a name (a file next to the YAML file, a member of a QTI
package, an image embedded in GIFT HTML); what is read is checked by its bytes, kept with the
item (`BankItem.media`) and, on import, stored with the new version (`attach`). A candidate gets
a file only while their attempt containing the item is in progress; bank managers and HR
always (`asset_for`); anyone else gets 404, as if it did not exist.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _
from PIL import Image
from sqlalchemy import select

from ..common.access import is_bank_manager, is_hr
from ..common.errors import NotFound
from ..extensions import db
from ..uploads.services import keep_by_digest
from . import content
from .models import Attempt, ItemAsset, ItemVersion, Seat

Resolver = Callable[[str], bytes | None]

_PIL_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
_AUDIO_TYPES = {
    "audio/mpeg": "audio/mpeg",
    "audio/mp4": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "video/mp4": "audio/mp4",
    "audio/ogg": "audio/ogg",
    "audio/x-wav": "audio/wav",
    "audio/wav": "audio/wav",
}
SUFFIX = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/ogg": ".ogg",
    "audio/wav": ".wav",
}
_DATA_IMG = re.compile(
    r"""<img\b[^>]*?\bsrc\s*=\s*["']data:(image/[a-z+.-]+);base64,([A-Za-z0-9+/=\s]+)["'][^>]*>""", re.I
)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTR = re.compile(r"""\b(src|alt)\s*=\s*("([^"]*)"|'([^']*)')""", re.I)


@dataclass(frozen=True)
class MediaFile:
    """A file an item shows, as read with it (not stored yet)."""

    name: str
    content_type: str
    data: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


# ---- reading -------------------------------------------------------------------------------
def sniff(data: bytes, kind: str) -> str | None:
    """The content type of `data` if it really is an image (opens as one) or audio, of the kind
    its name says; else None."""
    if kind == "image":
        try:
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format
                img.verify()
        except Exception:  # any parser failure means "not really an image"
            return None
        return _PIL_TYPES.get(fmt or "")
    if kind == "audio":
        guess = filetype.guess(data)
        return _AUDIO_TYPES.get(guess.mime) if guess else None
    return None


def folder_resolver(folder: Path) -> Resolver:
    """Names read as files under `folder` (next to a YAML file), never outside it."""
    root = folder.resolve()

    def read(name: str) -> bytes | None:
        path = (root / name).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path.read_bytes()

    return read


def gather(texts: list[str], resolve: Resolver | None) -> tuple[dict[str, MediaFile], list[str], list[str]]:
    """The files `texts` name, read with `resolve`, with the problems (each a sentence saying
    how to fix it) and warnings. An image without alternative text is a problem."""
    media: dict[str, MediaFile] = {}
    problems: list[str] = []
    warnings: list[str] = []
    for text in texts:
        problems += content.text_problems(text)
        warnings += content.text_warnings(text)
        for ref in content.references(text):
            if ref.remote or content.name_problem(ref.name) or ref.kind == "other":
                continue  # (a problem above)
            name = posixpath.normpath(ref.name)
            if name in media:
                continue
            data = resolve(name) if resolve is not None else None
            if data is None:
                problems.append(f'"{name}" is not there: put the file next to the item file')
                continue
            limit = current_app.config["BANK_MEDIA_MAX_BYTES"]
            if len(data) > limit:
                problems.append(f'"{name}" is larger than {round(limit / 1024 / 1024, 1)} MB')
                continue
            found = sniff(data, ref.kind)
            if found is None:
                allowed = "PNG, JPEG, GIF or WebP" if ref.kind == "image" else "MP3, M4A, Ogg or WAV"
                problems.append(f'"{name}" is not a {allowed} file')
                continue
            media[name] = MediaFile(name, found, data, hashlib.sha256(data).hexdigest())
    return media, problems, list(dict.fromkeys(warnings))


def digests(media: dict[str, MediaFile]) -> dict[str, str]:
    """name -> SHA-256: what of the media is part of an item's content (a change is a new version)."""
    return {name: f.sha256 for name, f in sorted(media.items())}


def html_images_to_markdown(html_text: str, embedded: dict[str, bytes]) -> str:
    """<img> elements of an HTML question text (GIFT [html], QTI) as `![alt](name)`, before the
    text loses its tags. An image embedded as data: gets a name from its digest and its bytes
    go into `embedded`, which the importer's resolver reads."""

    def one(match: re.Match) -> str:
        attrs = {
            m.group(1).lower(): m.group(3) if m.group(3) is not None else m.group(4)
            for m in _ATTR.finditer(match.group(0))
        }
        src, alt = attrs.get("src", ""), " ".join((attrs.get("alt") or "").split())
        data = _DATA_IMG.fullmatch(match.group(0))
        if data:
            try:
                raw = base64.b64decode("".join(data.group(2).split()), validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            ext = SUFFIX.get(data.group(1).lower().replace("jpg", "jpeg"), ".png")
            src = f"embedded-{hashlib.sha256(raw).hexdigest()[:12]}{ext}"
            embedded[src] = raw
        src = src.replace("@@PLUGINFILE@@/", "")  # Moodle's name for "a file of this question"
        alt = alt.replace("[", "(").replace("]", ")")
        return f"![{alt}]({src.replace(' ', '%20').replace(')', '%29')})"

    return _IMG.sub(one, html_text)


# ---- keeping -------------------------------------------------------------------------------
def attach(version: ItemVersion, bank: str, media: dict[str, MediaFile]) -> None:
    """Store the files of a new version (bytes outside static/, kept once per digest)."""
    for name, f in sorted(media.items()):
        stored = keep_by_digest(f.data, SUFFIX[f.content_type])
        version.assets.append(
            ItemAsset(
                bank=bank,
                name=name,
                content_type=f.content_type,
                sha256=f.sha256,
                size=f.size,
                stored_name=stored,
            )
        )


# ---- who may fetch -------------------------------------------------------------------------
def may_see_all(user) -> bool:
    """Bank managers and HR see every item's files in the bank and result pages."""
    return is_bank_manager(user) or is_hr(user)


def in_progress_with(user, version_id: int) -> bool:
    """Has `user` an attempt in progress whose form holds this item version?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    forms = db.session.scalars(
        select(Attempt.form)
        .join(Seat, Attempt.seat_id == Seat.id)
        .where(Seat.candidate_id == user.id, Attempt.status == "in_progress")
    )
    return any(entry.get("version_id") == version_id for form in forms for entry in form or ())


def asset_for(user, version_id: int, name: str) -> ItemAsset:
    """The file `name` of an item version for `user`, or NotFound: a candidate only during an
    attempt that contains the item, bank managers and HR always."""
    asset = db.session.scalar(
        select(ItemAsset).where(ItemAsset.item_version_id == version_id, ItemAsset.name == name)
    )
    if asset is None or not (may_see_all(user) or in_progress_with(user, version_id)):
        raise NotFound(_("There is no such file."))
    return asset
