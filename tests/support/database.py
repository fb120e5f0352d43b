"""Which database this run uses: SQLite (default) or the PostgreSQL database named by DATABASE_URL."""

from __future__ import annotations

import os

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if os.environ.get("REQUIRE_DATABASE") and not DATABASE_URL.startswith(os.environ["REQUIRE_DATABASE"]):
    raise RuntimeError(f"REQUIRE_DATABASE={os.environ['REQUIRE_DATABASE']} but DATABASE_URL={DATABASE_URL}")
IS_POSTGRES = DATABASE_URL.startswith("postgresql")
