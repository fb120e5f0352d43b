"""Backups restore: `flask backup create`, then `flask backup restore` into a fresh database
(SQLite always; PostgreSQL when this run uses it, into <database>_restore), and the restored
platform passes `flask audit verify` with every application, answer, published list and
uploaded document present."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app.applications.models import Application, Document
from app.exams import answering, sitting_control, starting
from app.exams.models import AttemptAnswer
from app.merit.models import ListStatus, MeritList
from tests.factories import exams as eh
from tests.factories.applications import pdf_bytes, post_apply
from tests.factories.merit import Scene
from tests.support.database import DATABASE_URL, IS_POSTGRES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_url(tmp_path):
    """An empty database to restore into, dropped afterwards."""
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = make_url(DATABASE_URL)
    name = f"{url.database}_restore"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def flask_cli(url: str, uploads: Path, *args: str) -> subprocess.CompletedProcess:
    """`flask …` in its own process, as an operator runs it on the restored host."""
    env = dict(
        os.environ, DATABASE_URL=url, UPLOAD_DIR=str(uploads), FLASK_APP="wsgi.py", FLASK_CONFIG="testing"
    )
    return subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def build_platform(app, db, make) -> dict:
    """A published list, an application with a document, an exam attempt with answers."""
    scene = Scene(make, 3)
    scene.publish()
    round_ = make.round_(make.agency())
    cand = make.candidate()
    client = make.client_for(app, cand)
    assert post_apply(client, round_, doc_transcript=[(io.BytesIO(pdf_bytes()), "t.pdf")]).status_code == 302
    eh.bank()
    sitting, hr = eh.sitting(make, eh.exam(), starts_in=timedelta(minutes=1))
    taker, seat = eh.seated(make, sitting)
    attempt = eh.check_in(taker, seat)
    sitting_control.start_sitting(sitting, hr)
    starting.begin_if_due(attempt)
    for i in range(3):
        answering.record_answer(attempt, i, attempt.form[i]["choice_order"][0], i + 1)
    db.session.commit()
    return {
        "applications": db.session.scalar(select(func.count()).select_from(Application)),
        "answers": db.session.scalar(select(func.count()).select_from(AttemptAnswer)),
        "published": db.session.scalar(
            select(func.count()).select_from(MeritList).where(MeritList.status == ListStatus.PUBLISHED)
        ),
        "documents": [d.stored_name for d in db.session.scalars(select(Document))],
    }


def test_a_backup_restores_into_a_fresh_database_and_passes_the_audit(
    app, db, make, runner, tmp_path, fresh_url
):
    expected = build_platform(app, db, make)
    assert expected["applications"] >= 4 and expected["answers"] == 3
    assert expected["published"] == 1 and expected["documents"]

    folder = tmp_path / "backup-1"
    result = runner.invoke(args=["backup", "create", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "manifest.json").is_file() and (folder / "uploads.tar.gz").is_file()
    # A second backup into the same folder is refused rather than mixed in.
    assert runner.invoke(args=["backup", "create", str(folder)]).exit_code != 0

    uploads = tmp_path / "restored-uploads"
    restored = flask_cli(fresh_url, uploads, "backup", "restore", str(folder))
    assert restored.returncode == 0, restored.stderr[-3000:]
    verified = flask_cli(fresh_url, uploads, "audit", "verify")
    assert verified.returncode == 0 and "audit chain intact" in verified.stdout, verified.stderr

    engine = create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            count = lambda table, where="": conn.scalar(  # noqa: E731
                text(f"SELECT count(*) FROM {table} {where}")
            )
            assert count("applications") == expected["applications"]
            assert count("attempt_answers") == expected["answers"]
            assert count("merit_lists", "WHERE status = 'published'") == expected["published"]
    finally:
        engine.dispose()
    assert {p.name for p in uploads.iterdir()} >= set(expected["documents"])
    assert all(
        (uploads / name).read_bytes() == (Path(app.config["UPLOAD_DIR"]) / name).read_bytes()
        for name in expected["documents"]
    )

    # Restoring again, over the restored database, is refused: never mixed into live data.
    again = flask_cli(fresh_url, uploads, "backup", "restore", str(folder))
    assert again.returncode != 0 and "already has the platform's tables" in again.stderr


def test_a_damaged_backup_is_refused(app, db, make, runner, tmp_path, fresh_url):
    make.candidate()
    folder = tmp_path / "backup-2"
    assert runner.invoke(args=["backup", "create", str(folder)]).exit_code == 0
    with open(folder / "uploads.tar.gz", "ab") as fh:
        fh.write(b"tampered")
    result = flask_cli(fresh_url, tmp_path / "u", "backup", "restore", str(folder))
    assert result.returncode != 0 and "damaged" in result.stderr
