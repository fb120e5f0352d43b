"""Making a backup and restoring it into a fresh database (docs/security.md, docs/deployment.md).

A backup is a folder: `database.sqlite3` (SQLite's online backup API: a consistent copy while
the platform runs) or `database.pgdump` (pg_dump's custom format), `uploads.tar.gz` (every
stored document), and `manifest.json` (when, from which kind of database, each file's SHA-256,
and the row counts of the tables, which a restore checks against). Restoring refuses a
database that already holds the platform's tables: a backup is restored into a fresh one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url

from ..common.clock import now
from ..extensions import db

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
UPLOADS_FILE = "uploads.tar.gz"
FORMAT = 1


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why and what to do."""


@dataclass
class Report:
    folder: Path
    database: str
    counts: dict[str, int]
    uploads: int


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _libpq_url(url) -> str:
    """The SQLAlchemy URL as pg_dump/pg_restore read it (no "+psycopg" driver suffix)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _run(argv: list[str]) -> None:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError:
        raise BackupError(f"{argv[0]} is not installed (apt-get install postgresql-client)") from None
    if result.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {result.stderr.strip()[-2000:]}")


def create_backup(folder: str | Path) -> Report:
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: give a new folder for each backup")
    folder.mkdir(parents=True, exist_ok=True)
    url = _url()
    db.session.commit()  # nothing of ours half-written in the copy
    counts = table_counts()
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up")
        source = sqlite3.connect(url.database)
        target = sqlite3.connect(folder / SQLITE_FILE)
        try:
            source.backup(target)  # consistent even while other processes write
        finally:
            target.close()
            source.close()
        files, kind = [SQLITE_FILE], "sqlite"
    elif url.get_backend_name() == "postgresql":
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={folder / PG_FILE}",
                f"--dbname={_libpq_url(url)}",
            ]
        )
        files, kind = [PG_FILE], "postgresql"
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()}")
    uploads = Path(current_app.config["UPLOAD_DIR"])
    stored = sorted(p for p in uploads.iterdir() if p.is_file()) if uploads.is_dir() else []
    with tarfile.open(folder / UPLOADS_FILE, "w:gz") as tar:
        for path in stored:
            tar.add(path, arcname=path.name)
    files.append(UPLOADS_FILE)
    manifest = {
        "format": FORMAT,
        "created_at": now().isoformat(),
        "database": kind,
        "files": {name: _sha256(folder / name) for name in files},
        "counts": counts,
        "uploads": len(stored),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return Report(folder, kind, counts, len(stored))


def _read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{folder / MANIFEST} is missing: not a backup folder") from None
    for name, digest in manifest["files"].items():
        if not (folder / name).is_file() or _sha256(folder / name) != digest:
            raise BackupError(f"{folder / name} is missing or damaged (SHA-256 differs)")
    return manifest


def restore_backup(folder: str | Path) -> Report:
    """Restore into this app's (fresh) database and upload folder; check the row counts."""
    folder = Path(folder)
    manifest = _read_manifest(folder)
    url = _url()
    kind = url.get_backend_name()
    if kind != manifest["database"]:
        raise BackupError(
            f"this backup is of a {manifest['database']} database; DATABASE_URL points at {kind}"
        )
    db.session.remove()
    if inspect(db.engine).has_table("users"):
        raise BackupError(
            "the target database already has the platform's tables: restore into a new, empty database"
        )
    db.engine.dispose()
    if kind == "sqlite":
        source = sqlite3.connect(folder / SQLITE_FILE)
        target = sqlite3.connect(url.database)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--dbname={_libpq_url(url)}",
                str(folder / PG_FILE),
            ]
        )
    uploads = Path(current_app.config["UPLOAD_DIR"])
    uploads.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / UPLOADS_FILE, "r:gz") as tar:
        tar.extractall(uploads, filter="data")  # no absolute paths, links or "..": only files
    counts = table_counts()
    expected = manifest["counts"]
    wrong = {t: (counts.get(t), n) for t, n in expected.items() if counts.get(t) != n}
    if wrong:
        raise BackupError(f"restored row counts differ from the backup's: {wrong}")
    return Report(folder, kind, counts, manifest["uploads"])
