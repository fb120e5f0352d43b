"""The online test's hot path (questions, answers, status checks): one database connection per
Socket.IO event, held for the event and given back when its app context ends.

Kept apart from the services so that they touch no `flask.g`: they ask this module for the
connection and say when their work is done; the exams blueprint gives back what an event
refused half-way left open (`release`).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import current_app, g
from sqlalchemy import create_engine

from ..common import db_ping
from ..extensions import db

_KEY = "exam_hot_connection"
_ENGINE = "exam_hot_engine"


def connection():
    """The connection for the hot path's statements.

    On PostgreSQL, when no session has work under way, the statements run on a connection of
    their own in autocommit, kept for the rest of the event and given back when it ends: under
    READ COMMITTED every statement sees its own snapshot anyway, so a transaction around "read
    the status, upsert the answer" only added a BEGIN and a COMMIT round trip, and an ORM
    session per event (its transaction and identity map) cost more CPU than the statements.
    The upsert is one atomic statement, committed before it returns, so the acknowledgement
    still follows the commit. SQLite (in-process, one writer) keeps the session's transaction;
    so does a session that already has work under way.
    """
    held = g.get(_KEY)
    if held is not None:
        return held
    has_session = db.session.registry.has()
    if (has_session and db.session().in_transaction()) or db.engine.dialect.name != "postgresql":
        return db.session.connection()
    held = autocommit_engine().connect()
    setattr(g, _KEY, held)
    return held


# The hot statements' SQL on the driver's connection, compiled once per process:
# id(statement) -> (SQL, the statement's own parameter values, e.g. a literal's).
_DRIVER_SQL: dict[int, tuple[str, dict]] = {}


def _driver_sql(held, statement) -> tuple[str, dict]:
    compiled = _DRIVER_SQL.get(id(statement))
    if compiled is None:
        done = statement.compile(dialect=held.dialect)
        compiled = _DRIVER_SQL[id(statement)] = (done.string, dict(done.params))
    return compiled


def execute(statement, params: dict) -> None:
    """Run one of the hot path's statements that returns no rows (an UPDATE), as `first`
    runs a read: on PostgreSQL's autocommit connection, committed when it returns."""
    held = connection()
    if held is not g.get(_KEY):
        held.execute(statement, params)
        return
    sql, own = _driver_sql(held, statement)
    held.connection.driver_connection.execute(sql, {**own, **params})


def first(statement, params: dict) -> tuple | None:
    """The first row of one of the hot path's statements (built once, module-level), or None.

    On PostgreSQL's autocommit connection (`connection`) the statement runs on the driver's
    own cursor, its SQL compiled once per process: SQLAlchemy's execution of a one-row
    statement (its cache key walked again, an execution context, the result's metadata and
    row processing) cost about as much CPU as psycopg's own work (py-spy under load, issue 20,
    docs/performance.md). So the parameters go to the driver as given (aware datetimes, text,
    numbers: no type of ours processes them) and values come back as the driver reads them: a
    timestamp with time zone in the session's zone (`utc` makes it ours). Elsewhere (SQLite,
    a session's transaction) the statement runs through SQLAlchemy as usual."""
    held = connection()
    if held is not g.get(_KEY):
        row = held.execute(statement, params).first()
        return None if row is None else tuple(row)
    sql, own = _driver_sql(held, statement)
    return held.connection.driver_connection.execute(sql, {**own, **params}).fetchone()


def utc(value: datetime | None) -> datetime | None:
    """A datetime read by `first` as our columns give it (common.types.UTCDateTime): UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def autocommit_engine():
    """The hot path's own engine on PostgreSQL: the same database and pool settings as the
    application's, its connections in autocommit for their whole life. Switching a pooled
    connection of the main engine to autocommit for each event and back when it returned to
    the pool was a tenth of a question's or an answer's CPU. Made once per app (and process:
    a forked worker makes its own). Its pool is sized HOT_POOL_SIZE (config)."""
    app = current_app._get_current_object()
    engine = app.extensions.get(_ENGINE)
    if engine is not None and engine[0] == os.getpid():
        return engine[1]
    options = {
        k: v
        for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items()
        if k in ("json_deserializer", "max_overflow", "pool_timeout")
    }
    hot = create_engine(
        db.engine.url,
        isolation_level="AUTOCOMMIT",
        pool_size=app.config["HOT_POOL_SIZE"],
        pool_reset_on_return=None,  # (autocommit: no transaction to end)
        **options,
    )
    db_ping.ping_when_idle(hot, app.config["DB_PING_IDLE_SECONDS"])
    app.extensions[_ENGINE] = (os.getpid(), hot)
    return hot


def done(commit: bool = False) -> None:
    """End the hot path's work: give back its own connection (nothing to commit: each
    statement committed itself), or end the session's transaction."""
    held = g.pop(_KEY, None)
    if held is not None:
        held.close()
    elif commit:
        db.session.commit()
    else:
        db.session.rollback()


def release(_exc=None) -> None:
    """At the end of an app context: give back a connection an event refused half-way (time
    up, paused, ...) still holds. Nothing else changes."""
    held = g.pop(_KEY, None) if _KEY in g else None
    if held is not None:
        held.close()
