"""Which database this run uses: SQLite (default) or the PostgreSQL database named by DATABASE_URL.

Under pytest-xdist (`make test` runs two workers) each worker gets a PostgreSQL database of its
own, `<database>_<worker>` (created here if missing), because every run drops and recreates the
`public` schema of its database. The worker's URL replaces DATABASE_URL in this process's
environment, so the servers and CLI processes the tests start use the same database."""

from __future__ import annotations

import os

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if os.environ.get("REQUIRE_DATABASE") and not DATABASE_URL.startswith(os.environ["REQUIRE_DATABASE"]):
    raise RuntimeError(f"REQUIRE_DATABASE={os.environ['REQUIRE_DATABASE']} but DATABASE_URL={DATABASE_URL}")
IS_POSTGRES = DATABASE_URL.startswith("postgresql")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_database(url: str, worker: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


if IS_POSTGRES and WORKER:
    DATABASE_URL = os.environ["DATABASE_URL"] = _worker_database(DATABASE_URL, WORKER)
