"""Importing into the bank from the web page, in two steps: an uploaded file is kept on the
server under a random token and checked (the report and a preview of every item); nothing is
imported until the bank manager confirms, and then from the same kept file.

Each upload is kept in a fresh folder of its own under its original (sanitised) file name: the
importers name an item's origin by its file name (ExamItem.origin), so the same file uploaded
again is the same items, and new content in it makes new versions.

This module is the page's one door to the importers (`read`): reading goes through
`importers.load_source`, writing through `bank_import.import_bank`, which audits the import.
"""

from __future__ import annotations

import io
import json
import pickle
import secrets
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from flask import current_app
from flask_babel import gettext as _

from ..audit.services import record
from ..common.clock import now
from ..common.errors import NotFound, ValidationFailed
from ..extensions import db
from .bank_files import LoadedBank
from .bank_format import BankError
from .bank_import import ImportReport, import_bank
from .importers import Defaults, load_source, spreadsheet
from .media import MediaFile

# What the page takes, by the file's name: the format read, and whether it needs the bank and
# section (QTI, GIFT and spreadsheets do not carry them; a YAML file says its own).
UPLOAD_FORMATS = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".zip": "zip",  # a QTI content package (imsmanifest.xml) or a folder of YAML files with media
    ".xml": "qti",
    ".gift": "gift",
    ".txt": "gift",
    ".csv": "csv",
    ".xlsx": "xlsx",
}
NEEDS_PLACE = {"qti", "gift", "csv", "xlsx"}
TOKEN_BYTES = 24
MAX_ZIP_MEMBERS = 2000
FOLDER = "bank-uploads"


@dataclass
class PendingUpload:
    """An uploaded bank file waiting for its confirmation."""

    token: str
    uploader_id: int
    original_name: str
    fmt: str
    bank: str
    section: str
    difficulty: str
    topic: str
    uploaded_at: datetime
    folder: Path
    job_id: int | None = None  # the background job checking or importing it (bank_jobs.py)

    @property
    def source(self) -> Path:
        """The file or folder the importer reads."""
        return self.folder / "source"

    def defaults(self) -> Defaults | None:
        if self.fmt not in NEEDS_PLACE:
            return None
        return Defaults(bank=self.bank, section=self.section, difficulty=self.difficulty, topic=self.topic)


def _root() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def _folder(token: str) -> Path:
    if not token or not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        raise NotFound(_("This upload is no longer waiting: upload the file again."))
    return _root() / token


# ---- receiving ------------------------------------------------------------------------------
def format_of(filename: str) -> str:
    """The format of an upload by its name, or ValidationFailed naming what is accepted."""
    suffix = PurePosixPath((filename or "").replace("\\", "/")).suffix.lower()
    fmt = UPLOAD_FORMATS.get(suffix)
    if fmt is None:
        raise ValidationFailed(
            _(
                "%(name)s is not a format the bank reads: upload YAML (.yaml), a QTI 2.1 package "
                "(.zip) or item (.xml), GIFT (.gift, .txt), CSV (.csv) or Excel (.xlsx).",
                name=filename or "?",
            ),
            "file",
        )
    return fmt


def receive(
    user,
    filename: str,
    data: bytes,
    *,
    bank: str = "",
    section: str = "",
    difficulty: str = "",
    topic: str = "",
) -> PendingUpload:
    """Keep an uploaded file under a new token (nothing is imported): refuses an empty or too
    large file, an unknown format, and a QTI/GIFT/spreadsheet file without a bank and section."""
    discard_stale()
    name = Path((filename or "").replace("\\", "/")).name[-200:] or "upload"
    fmt = format_of(name)
    limit = current_app.config["BANK_UPLOAD_MAX_BYTES"]
    if not data:
        raise ValidationFailed(_("%(name)s is empty.", name=name), "file")
    if len(data) > limit:
        raise ValidationFailed(
            _("%(name)s is larger than %(mb)s MB.", name=name, mb=round(limit / 1024 / 1024, 1)), "file"
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    folder = _folder(token)
    folder.mkdir()
    try:
        if fmt == "zip":
            fmt = _unpack(data, name, folder / "source")
        else:
            (folder / "source").mkdir()
            (folder / "source" / _safe_name(name)).write_bytes(data)
        if fmt in NEEDS_PLACE and not (bank and section):
            raise ValidationFailed(
                _(
                    "A %(format)s file does not say which bank and section its items go into: choose them.",
                    format=fmt.upper(),
                ),
                "bank",
            )
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    pending = PendingUpload(
        token=token,
        uploader_id=user.id,
        original_name=name,
        fmt=fmt,
        bank=bank if fmt in NEEDS_PLACE else "",
        section=section if fmt in NEEDS_PLACE else "",
        difficulty=difficulty or "medium",
        topic=topic or "general",
        uploaded_at=now(),
        folder=folder,
    )
    (folder / "upload.json").write_text(json.dumps(_meta(pending), ensure_ascii=False), encoding="utf-8")
    return pending


def _safe_name(name: str) -> str:
    clean = "".join(ch for ch in name if ch.isprintable() and ch not in "/\\").strip(". ")
    return clean or "upload"


def _unpack(data: bytes, name: str, target: Path) -> str:
    """A QTI package is kept whole (the importer reads the zip); a zip of YAML files and their
    images is unpacked (names checked: nothing outside the folder). Returns the format."""
    target.mkdir()
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValidationFailed(_("%(name)s is not a zip file.", name=name), "file") from None
    with package:
        members = [m for m in package.infolist() if not m.is_dir()]
        names = {m.filename for m in members}
        if "imsmanifest.xml" in names:
            (target / _safe_name(name)).write_bytes(data)
            return "qti"
        if not any(PurePosixPath(n).suffix.lower() in (".yaml", ".yml") for n in names):
            raise ValidationFailed(
                _(
                    "%(name)s holds neither imsmanifest.xml (a QTI package) nor .yaml files.",
                    name=name,
                ),
                "file",
            )
        if len(members) > MAX_ZIP_MEMBERS:
            raise ValidationFailed(
                _("%(name)s holds more than %(n)d files.", name=name, n=MAX_ZIP_MEMBERS), "file"
            )
        total, limit = 0, current_app.config["BANK_UPLOAD_MAX_BYTES"]
        for member in members:
            path = PurePosixPath(member.filename)
            if path.is_absolute() or ".." in path.parts or "\\" in member.filename:
                raise ValidationFailed(
                    _("%(name)s: %(member)s points outside the package.", name=name, member=member.filename),
                    "file",
                )
            total += member.file_size
            if total > 4 * limit:  # a zip bomb is refused before it is written
                raise ValidationFailed(_("%(name)s unpacks to too much data.", name=name), "file")
            out = target.joinpath(*path.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(package.read(member))
    return "yaml"


def _meta(p: PendingUpload) -> dict:
    return {
        "uploader_id": p.uploader_id,
        "original_name": p.original_name,
        "fmt": p.fmt,
        "bank": p.bank,
        "section": p.section,
        "difficulty": p.difficulty,
        "topic": p.topic,
        "uploaded_at": p.uploaded_at.isoformat(),
        "job_id": p.job_id,
    }


def note_job(pending: PendingUpload, job_id: int) -> None:
    """Remember the job working on the upload (its report page sends the uploader there until
    the check is done)."""
    pending.job_id = job_id
    (pending.folder / "upload.json").write_text(
        json.dumps(_meta(pending), ensure_ascii=False), encoding="utf-8"
    )


# ---- finding and reading --------------------------------------------------------------------
def pending_upload(token: str, user) -> PendingUpload:
    """The upload `token` of `user` (only its uploader sees it), or NotFound once confirmed,
    discarded or expired."""
    folder = _folder(token)
    try:
        meta = json.loads((folder / "upload.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFound(_("This upload is no longer waiting: upload the file again.")) from None
    pending = PendingUpload(
        token=token,
        folder=folder,
        **{k: v for k, v in meta.items() if k != "uploaded_at"},
        uploaded_at=datetime.fromisoformat(meta["uploaded_at"]),
    )
    if pending.uploader_id != user.id or _expired(pending.uploaded_at):
        raise NotFound(_("This upload is no longer waiting: upload the file again."))
    return pending


def _expired(at: datetime) -> bool:
    return now() - at > timedelta(hours=current_app.config["BANK_UPLOAD_KEEP_HOURS"])


def read(pending: PendingUpload) -> LoadedBank:
    """Check the kept file with the importers (nothing is written). The page's one call into
    the importers: adapt here when their entry point changes. The importers' limits
    (BANK_MAX_*) apply, as on the command line."""
    if pending.fmt == "yaml":
        return _as_uploaded(load_source(pending.source, "yaml"), pending)  # a file, or the folder
    kept = sorted(pending.source.iterdir())[0]
    try:
        return _as_uploaded(load_source(kept, pending.fmt, pending.defaults()), pending)
    except ValueError as err:  # (a format or a place the importers refuse)
        loaded = LoadedBank()
        loaded.errors.append(BankError(pending.original_name, str(err)))
        return loaded


CHECKED = "checked.pickle"


def check(pending: PendingUpload) -> LoadedBank:
    """Read the kept file (`read`) and keep what was read beside it, so the report page and
    the preview's images show it without reading the file again (a large file takes long)."""
    loaded = read(pending)
    # Pickled: written and read only by the server, in the upload's own folder, beside (never
    # inside) the uploaded files.
    (pending.folder / CHECKED).write_bytes(pickle.dumps(loaded))
    return loaded


def checked(pending: PendingUpload) -> LoadedBank | None:
    """What `check` read, or None while the check has not finished."""
    try:
        return pickle.loads((pending.folder / CHECKED).read_bytes())
    except FileNotFoundError:
        return None


def _as_uploaded(loaded: LoadedBank, pending: PendingUpload) -> LoadedBank:
    """The report names files as the uploader knows them (items.csv, pkg.zip!item1.xml), not
    by where the server keeps them."""
    prefix = str(pending.source) + "/"
    for problem in [*loaded.errors, *loaded.skipped, *loaded.warnings]:
        if problem.file.startswith(prefix):
            problem.file = problem.file[len(prefix) :]
    return loaded


# ---- confirming -----------------------------------------------------------------------------
def confirm(pending: PendingUpload, user, new_codes: bool = False) -> tuple[ImportReport, list[str]]:
    """Import the kept file (read again: what was previewed is what is imported), audited by
    `import_bank`; the kept file is removed once imported. Refused while it has errors, and
    (bank_import.IdentityConflict, naming both places) when an item has the code of a different
    item in the bank, unless `new_codes`: then such an item is imported as CODE-2, CODE-3, ...
    Returns the report and the banks imported into."""
    loaded = read(pending)
    if loaded.errors:
        raise ValidationFailed(
            _("The file has %(n)d errors; nothing was imported.", n=len(loaded.errors)), "file"
        )
    if not loaded.items and not loaded.blueprints:
        raise ValidationFailed(_("The file holds nothing to import; nothing was imported."), "file")
    report = import_bank(loaded, actor=user, source=f"upload {pending.original_name}", new_codes=new_codes)
    shutil.rmtree(pending.folder, ignore_errors=True)
    return report, loaded.banks


def media_file(pending: PendingUpload, code: str, name: str) -> MediaFile:
    """An image or audio file of item `code` in the upload (for its preview), or NotFound."""
    for item in (checked(pending) or read(pending)).items:
        if item.code == code and name in item.media:
            return item.media[name]
    raise NotFound(_("There is no such file."))


TEMPLATE_FORMATS = ("xlsx", "csv")


def spreadsheet_template(fmt: str) -> bytes:
    """The spreadsheet template the spreadsheet importer writes (the same file as `flask bank
    template items.xlsx`), or NotFound for a format it does not write."""
    if fmt not in TEMPLATE_FORMATS:
        raise NotFound(_("There is no such file."))
    return spreadsheet.template(fmt)


def discard(pending: PendingUpload, user) -> None:
    """Throw an upload away without importing it (audited: someone looked and said no)."""
    record(
        "bank.upload_discard",
        actor=user,
        object_type="exam_bank",
        object_id=(pending.bank or "")[:40],
        after={"file": pending.original_name, "format": pending.fmt},
    )
    db.session.commit()
    shutil.rmtree(pending.folder, ignore_errors=True)


def discard_stale() -> None:
    """Remove uploads nobody confirmed within BANK_UPLOAD_KEEP_HOURS."""
    for folder in _root().iterdir():
        meta = folder / "upload.json"
        try:
            at = datetime.fromisoformat(json.loads(meta.read_text(encoding="utf-8"))["uploaded_at"])
        except (OSError, ValueError, KeyError):
            continue
        if _expired(at):
            shutil.rmtree(folder, ignore_errors=True)
