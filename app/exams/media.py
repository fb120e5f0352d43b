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
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _
from PIL import Image
from sqlalchemy import or_, select

from ..common.access import is_bank_manager, is_hr
from ..common.clock import now
from ..common.errors import NotFound
from ..extensions import db
from ..uploads.services import keep_by_digest
from . import content
from .bank_messages import N_
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
_DATA_URI = re.compile(r"data:(image/[a-z+.-]+);base64,([A-Za-z0-9+/=]+)", re.I)
_MEDIA_TAG = re.compile(r"<(?:img|audio)\b[^>]*>", re.I)
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


def package_resolver(package: Path, member: str) -> Resolver:
    """Names read as members of a zip package, relative to `member` (a QTI item file)."""
    folder = posixpath.dirname(member)

    def read(name: str) -> bytes | None:
        wanted = posixpath.normpath(posixpath.join(folder, name))
        if wanted.startswith("../") or wanted == "..":
            return None
        try:
            with zipfile.ZipFile(package) as z, z.open(wanted) as member_file:
                # (one byte over the limit is enough for _check to say it is too large)
                return member_file.read(current_app.config["BANK_MEDIA_MAX_BYTES"] + 1)
        except (KeyError, zipfile.BadZipFile, OSError):
            return None

    return read


def resolver_for(file: str) -> Resolver:
    """How to read the files an item of `file` names: next to it, or, for a member of a package
    ("bank.zip!items/q1.xml"), beside that member in the package."""
    if "!" in file:
        package, member = file.split("!", 1)
        return package_resolver(Path(package), member)
    return folder_resolver(Path(file).parent)


def gather(text: str, resolve: Resolver | None) -> tuple[str, dict[str, MediaFile], list[str], list[str]]:
    """The files `text` names, read with `resolve`, with the problems (each a sentence saying
    how to fix it) and warnings; an image without alternative text is a problem. An image
    embedded as data: becomes a file of its own (named by its digest) and the text names it."""
    media: dict[str, MediaFile] = {}
    problems = content.text_problems(text)
    warnings = content.text_warnings(text)
    for ref in content.references(text):
        if ref.name.startswith("data:"):
            text = _embedded(ref, text, media, problems)
            continue
        if ref.remote or content.name_problem(ref.name) or ref.kind == "other":
            continue  # (a problem above)
        name = posixpath.normpath(ref.name)
        if name in media:
            continue
        data = resolve(name) if resolve is not None else None
        if data is None:
            problems.append(N_('"%(name)s" is not there: put the file next to the item file', name=name))
            continue
        found = _check(name, data, ref.kind, problems)
        if found is not None:
            media[name] = found
    return text, media, problems, list(dict.fromkeys(warnings))


def _check(name: str, data: bytes, kind: str, problems: list[str]) -> MediaFile | None:
    limit = current_app.config["BANK_MEDIA_MAX_BYTES"]
    if len(data) > limit:
        problems.append(
            N_('"%(name)s" is larger than %(mb)s MB', name=name, mb=str(round(limit / 1024 / 1024, 1)))
        )
        return None
    found = sniff(data, kind)
    if found is None:
        allowed = "PNG, JPEG, GIF or WebP" if kind == "image" else "MP3, M4A, Ogg or WAV"
        problems.append(N_('"%(name)s" is not a %(kinds)s file', name=name, kinds=allowed))
        return None
    return MediaFile(name, found, data, hashlib.sha256(data).hexdigest())


def _embedded(ref: content.MediaRef, text: str, media: dict, problems: list[str]) -> str:
    """An image written into the text as data: kept as a file; the text names the file."""
    match = _DATA_URI.fullmatch(ref.name)
    try:
        data = base64.b64decode(match.group(2), validate=True) if match else b""
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        problems.append(N_("an image embedded as data: that cannot be read (it must be base64)"))
        return text
    if not ref.alt:
        problems.append(
            N_(
                "an embedded image has no alternative text: write ![what the image shows](...) so "
                "that a candidate who cannot see it can still answer"
            )
        )
    name = f"embedded-{hashlib.sha256(data).hexdigest()[:16]}{SUFFIX.get(match.group(1), '.img')}"
    found = _check(name, data, "image", problems)
    if found is None:
        return text
    media[name] = found
    # (content.text_problems called this data: a link; kept as a file, it no longer is)
    problems[:] = [p for p in problems if not p.startswith(f'"{ref.name[:60]}" is a link')]
    return text.replace(ref.name, name)


def digests(media: dict[str, MediaFile]) -> dict[str, str]:
    """name -> SHA-256: what of the media is part of an item's content (a change is a new version)."""
    return {name: f.sha256 for name, f in sorted(media.items())}


def reference(src: str, alt: str) -> str:
    """The Markdown an importer writes for an image or audio file it found in HTML or XML:
    `![alt](src)` (brackets in the words and spaces in the name escaped, no angle brackets:
    an HTML importer strips tags after this)."""
    alt = " ".join((alt or "").split()).replace("[", "(").replace("]", ")")
    src = (src or "").strip().replace("@@PLUGINFILE@@/", "")  # Moodle's "a file of this question"
    return f"![{alt}]({src.replace(' ', '%20').replace('(', '%28').replace(')', '%29')})"


def html_media_to_markdown(html_text: str, restore: dict | None = None) -> str:
    """<img> and <audio> elements of an HTML question text (GIFT) as `![alt](src)`, before the
    text loses its tags; `restore` undoes the importer's escaping inside the attributes."""

    def one(match: re.Match) -> str:
        tag = match.group(0).translate(restore) if restore else match.group(0)
        attrs = {
            m.group(1).lower(): (m.group(3) if m.group(3) is not None else m.group(4))
            for m in _ATTR.finditer(tag)
        }
        return reference(attrs.get("src", ""), attrs.get("alt", ""))

    return _MEDIA_TAG.sub(one, html_text)


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
    """Has `user` an attempt in progress (its time not over) whose form holds this version?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    forms = db.session.scalars(
        select(Attempt.form)
        .join(Seat, Attempt.seat_id == Seat.id)
        .where(
            Seat.candidate_id == user.id,
            Attempt.status == "in_progress",
            or_(Attempt.deadline.is_(None), Attempt.deadline > now()),
        )
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
