"""Checking a pooled PostgreSQL connection before use only when it sat idle for a while.

SQLAlchemy's `pool_pre_ping` sends `SELECT 1` at every checkout: on the online test's hot path,
where each event checks a connection out (`exams.hot`), that was a round trip per question and
per answer for connections used milliseconds before. Here a connection idle for at least
`DB_PING_IDLE_SECONDS` is pinged at checkout (a dead one is replaced, as with pre-ping: the
pool retries with a fresh connection); one in steady use is not. A connection that died while
in steady use (a database restart under load) fails its next statement instead: SQLAlchemy then
invalidates the whole pool, and the event is refused with the retryable `retry`
(common.sockets.acked) — what pre-ping did for a restart in the middle of an event anyway.
"""

from __future__ import annotations

import time

from sqlalchemy import event, exc

_IDLE_SINCE = "bma_idle_since"


def ping_when_idle(engine, seconds: float) -> None:
    """Ping `engine`'s connections at checkout when idle for `seconds` or more."""

    @event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi_connection, record):
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < seconds:
            return  # (new, or in steady use)
        try:
            # (the dialect's own ping, as pre-ping sends it: outside a transaction, so the
            # connection is not left "idle in transaction" for what uses it next)
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the connection is dead: the pool replaces it and retries
            raise exc.DisconnectionError() from error
        if not alive:
            raise exc.DisconnectionError()
