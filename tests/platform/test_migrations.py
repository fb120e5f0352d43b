"""The Alembic migrations build exactly the schema the models describe, on this run's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.extensions import db
from tests.support.database import DATABASE_URL, IS_POSTGRES

CHECK_DB_SUFFIX = "migration_check"  # beside the run's own database (one per xdist worker)


@pytest.fixture
def migrated_url(tmp_path):
    if IS_POSTGRES:
        url = make_url(DATABASE_URL)
        check_db = f"{url.database}_{CHECK_DB_SUFFIX}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {check_db}"))
            conn.execute(text(f"CREATE DATABASE {check_db}"))
        yield url.set(database=check_db).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {check_db} WITH (FORCE)"))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"


ROOT = Path(__file__).resolve().parents[2]


def flask_db(url: str, *args: str) -> None:
    """Run `flask db …` in its own process, as an operator would (and so that no second app
    instance rebinds this process's Socket.IO server)."""
    env = dict(os.environ, DATABASE_URL=url, FLASK_APP="wsgi.py")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "db", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_migrations_match_models_and_run_both_ways(migrated_url):
    flask_db(migrated_url, "upgrade")
    engine = create_engine(migrated_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, db.metadata)
        assert diff == [], f"models and migrations disagree; run `flask db migrate`: {diff}"
        # The audit log refuses changes in a migrated database.
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO audit_log (seq, at, action, object_type, object_id, ip, prev_hash, hash)"
                    " VALUES (1, CURRENT_TIMESTAMP, 'x', 't', '1', '', 'p', 'h')"
                )
            )
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET action = 'y'"))
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))
    finally:
        engine.dispose()
    flask_db(migrated_url, "downgrade", "base")
    flask_db(migrated_url, "upgrade")
