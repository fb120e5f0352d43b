"""Fixtures: the app on SQLite (default) or PostgreSQL (DATABASE_URL), a clean database per test."""

from __future__ import annotations

import os
import time

import pytest
from flask import has_app_context
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.common import clock
from app.exams.answering import forget_item_texts, forget_waiting
from app.exams.joining import forget_forms
from app.extensions import db as _db
from app.extensions import limiter, socketio
from tests import factories
from tests.support.database import DATABASE_URL, IS_POSTGRES


def pytest_report_header(config):
    return f"database: {DATABASE_URL or 'SQLite file (WAL) in a temporary folder'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    upload_dir = tmp_path_factory.mktemp("uploads")
    # SQLite runs on a file (WAL), not in memory: the live-server tests need each thread to have
    # its own connection, as in production.
    url = DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    application = create_app("testing", {"UPLOAD_DIR": str(upload_dir), "SQLALCHEMY_DATABASE_URI": url})
    # Tests keep one app context open (for factories and queries), and Flask reuses it for each
    # request, so `g` would carry Flask-Login's cached user from one client to the next.
    from flask import g, request_started

    def _forget_cached_user(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(_forget_cached_user, application, weak=False)
    # Socket.IO events send no request_started signal: forget the cached user there too.
    from flask_socketio import SocketIO

    original = SocketIO._handle_event

    def _handle_event(self, *args, **kwargs):
        if has_app_context():  # the test client's events run in the test's context
            g.pop("_login_user", None)
        try:
            return original(self, *args, **kwargs)
        finally:
            if has_app_context():
                g.pop("_login_user", None)

    SocketIO._handle_event = _handle_event
    with application.app_context():
        if IS_POSTGRES:
            with _db.engine.begin() as conn:  # a fresh schema for each run
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        _db.create_all()
    yield application


@pytest.fixture(autouse=True)
def _clean(app):
    ctx = app.app_context()
    ctx.push()
    from flask import g

    g.locale = "en"  # services called directly (no request) speak English in assertions
    yield
    clock.set_now(None)
    _db.session.rollback()
    _db.session.remove()
    _wait_for_live_disconnects()
    _empty_tables()
    forget_item_texts()  # the emptied tables' ids come back with other items
    forget_forms()  # ... and other attempts
    forget_waiting()
    limiter.reset()
    ctx.pop()


def _wait_for_live_disconnects(timeout: float = 5.0) -> None:
    """A live test's clients hang up as it ends, and the server runs each disconnect handler
    (a transaction) in its own thread: wait for those to finish before emptying the tables,
    or the handler and the TRUNCATE below can deadlock (seen in CI on PostgreSQL) and a late
    handler could write into the next test. python-engineio marks a socket `closed` only once
    its disconnect handler has returned."""
    eio = getattr(socketio.server, "eio", None)
    if eio is None:
        return
    end = time.monotonic() + timeout
    while time.monotonic() < end and any(not s.closed for s in list(eio.sockets.values())):
        time.sleep(0.02)


def _empty_tables(attempts: int = 5) -> None:
    """Empty every table. On PostgreSQL, a TRUNCATE that still meets a live server's
    transaction gives up after a short lock timeout (or loses a deadlock) and is retried."""
    tables = list(reversed(_db.metadata.sorted_tables))
    for attempt in range(attempts):
        try:
            with _db.engine.begin() as conn:
                if IS_POSTGRES:
                    conn.execute(text("SET LOCAL lock_timeout = '3s'"))
                    conn.execute(
                        text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE")
                    )
                else:
                    for t in tables:
                        conn.execute(t.delete())
            return
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)


@pytest.fixture(autouse=True)
def _frozen_clock(request, _clean):
    """A test module that sets FROZEN_AT runs each of its tests at that instant (_clean puts
    the clock back afterwards)."""
    at = getattr(request.module, "FROZEN_AT", None)
    if at is not None:
        clock.set_now(at)


@pytest.fixture(autouse=True)
def _undo_socketio_test_client(app):
    """Flask-SocketIO's test client patches the server to deliver packets only to test clients;
    undo that after each test so real clients (test_exam_live.py) receive their packets."""
    server = socketio.server
    saved = (server.async_handlers, server.eio.async_handlers)
    # A test that makes an app of its own (create_app) binds the one `socketio` extension to
    # it, with a new server: the session app's Socket.IO tests that follow in the same worker
    # would then connect through a server no handler of theirs runs on ("not connected").
    bound = dict(socketio.__dict__)
    yield
    socketio.__dict__.clear()
    socketio.__dict__.update(bound)
    for name in ("_send_packet", "_send_eio_packet"):
        server.__dict__.pop(name, None)
    server.async_handlers, server.eio.async_handlers = saved


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    """A browser session that chose English (assertions read English text)."""
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["lang"] = "en"
    return c


@pytest.fixture
def client_th(app):
    """A browser session in the default language, Thai."""
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make():
    """The factories package (tests/factories/), e.g. `make.candidate()`, `make.round_(agency, mode=...)`,
    `make.exams.sitting(make, exam)`, `make.merit.published_list(make)`."""
    return factories


# ---- browser tests -----------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over real HTTP on a free loopback port, in a background thread."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


# Every browser context reports Content-Security-Policy violations (the console message and
# the page's securitypolicyviolation event); a browser test that caused one fails (issue 14).
CSP_VIOLATIONS: list[str] = []
# (A string evaluated with no source file is the test tools' own: Playwright's page.evaluate of
# axe-core. The app's scripts are files, so a violation of theirs names its file.)
_REPORT_CSP = """
document.addEventListener('securitypolicyviolation', (e) => {
  if (e.blockedURI === 'eval' && !e.sourceFile) return;
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')
                + ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


def _is_csp_violation(msg) -> bool:
    if msg.type != "error":
        return False
    if msg.text.startswith("CSP violation"):
        return True
    tools_eval = "evaluate a string as JavaScript" in msg.text and not msg.location.get("url")
    return "Content Security Policy" in msg.text and not tools_eval


def _watch_csp(context):
    context.add_init_script(_REPORT_CSP)
    context.on(
        "console",
        lambda msg: (
            CSP_VIOLATIONS.append(f"{msg.page.url if msg.page else ''}: {msg.text}")
            if _is_csp_violation(msg)
            else None
        ),
    )
    return context


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        new_context = b.new_context
        b.new_context = lambda *a, **kw: _watch_csp(new_context(*a, **kw))
        yield b
        b.close()


@pytest.fixture(autouse=True)
def _no_csp_violations(request):
    """Fail a browser test whose pages broke the Content Security Policy."""
    CSP_VIOLATIONS.clear()
    yield
    if "browser" in request.fixturenames and CSP_VIOLATIONS:
        found = list(CSP_VIOLATIONS)
        CSP_VIOLATIONS.clear()
        pytest.fail("Content Security Policy violations in the browser:\n" + "\n".join(found))


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="th-TH")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()
