"""Configuration: every setting has its default in config.py, is read one way
(`current_app.config["NAME"]`), can be set from the environment, and does what it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from email.utils import parseaddr
from pathlib import Path

from flask import Flask

import config
from app.interviews import calendar
from app.notifications import services as outbox
from tests.factories.interviews import NOW, parse_ics, scheduled_interviews

FROZEN_AT = NOW  # the interview scene is built at this instant (conftest's _frozen_clock)
ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"""config\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]""")


def app_sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted((ROOT / "app").rglob("*.py"))}


def test_every_setting_the_app_reads_has_its_default_in_config_py():
    known = set(dir(config.Config)) | set(Flask.default_config)
    read = {name: path for path, text in app_sources().items() for name in READ.findall(text)}
    assert read, "the scan found no setting at all: the pattern is wrong"
    missing = {name: str(path.relative_to(ROOT)) for name, path in read.items() if name not in known}
    assert missing == {}, "add these to config.Config (with a comment), not a module default"


def test_settings_are_read_one_way_without_a_fallback_default_in_the_module():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path, text in app_sources().items()
        for n, line in enumerate(text.splitlines(), 1)
        if re.search(r"\.config\.get\(", line)
    ]
    assert offenders == []


def test_the_environment_sets_them(tmp_path):
    env = {
        **os.environ,
        "INTERVIEW_MOVE_CUTOFF_HOURS": "12",
        "INTERVIEW_CHECKIN_OPENS_MINUTES": "45",
        "INTERVIEW_EXTRA_MINUTES": "20",
        "MERIT_LIST_VALID_YEARS": "3",
        "MERIT_LIST_MAX_EXTENSION_YEARS": "1",
        "MAIL_FROM": "สำนักงาน ก.ก. <hr@bangkok.go.th>",
        "JOBS_LOCK_FILE": str(tmp_path / "jobs.lock"),
    }
    names = [
        "INTERVIEW_MOVE_CUTOFF_HOURS",
        "INTERVIEW_CHECKIN_OPENS_MINUTES",
        "INTERVIEW_EXTRA_MINUTES",
        "MERIT_LIST_VALID_YEARS",
        "MERIT_LIST_MAX_EXTENSION_YEARS",
        "MAIL_FROM",
        "JOBS_LOCK_FILE",
    ]
    code = f"import config; c = config.config['production']; print(repr([getattr(c, n) for n in {names!r}]))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
    ).stdout
    assert eval(out) == [12, 45, 20, 3, 1, "สำนักงาน ก.ก. <hr@bangkok.go.th>", str(tmp_path / "jobs.lock")]
    # …and without them, the documented defaults.
    defaults = config.Config
    assert (
        defaults.INTERVIEW_MOVE_CUTOFF_HOURS,
        defaults.INTERVIEW_CHECKIN_OPENS_MINUTES,
        defaults.INTERVIEW_EXTRA_MINUTES,
        defaults.MERIT_LIST_VALID_YEARS,
        defaults.MERIT_LIST_MAX_EXTENSION_YEARS,
    ) == (48, 30, 15, 2, 2)
    assert defaults.MAIL_FROM == "BMA Recruit <no-reply@recruit.bangkok.go.th>"


def test_the_sender_of_emails_and_invitations_is_mail_from(app, db, make, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FROM", "สำนักงาน ก.ก. <hr@bangkok.go.th>")
    sent = []

    class FakeSMTP:  # the SMTP conversation the outbox has with the configured server
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user, password))

        def send_message(self, message):
            sent.append(("send", parseaddr(message["From"]), message["To"]))

    monkeypatch.setattr(outbox.smtplib, "SMTP", FakeSMTP)
    for key, value in (
        ("MAIL_SERVER", "smtp.bangkok.go.th"),
        ("MAIL_PORT", 587),
        ("MAIL_USE_TLS", True),
        ("MAIL_USERNAME", "recruit"),
        ("MAIL_PASSWORD", "secret"),
    ):
        monkeypatch.setitem(app.config, key, value)
    outbox.queue_email(to="a@example.com", subject="s", body="b", dedupe_key="config-mail-from")
    db.session.commit()
    assert outbox.send_pending()["sent"] == 1
    assert sent == [
        ("connect", "smtp.bangkok.go.th", 587),
        ("starttls",),
        ("login", "recruit", "secret"),
        ("send", ("สำนักงาน ก.ก.", "hr@bangkok.go.th"), "a@example.com"),
    ]

    _w, (a, _b) = scheduled_interviews(db, make)
    ics = calendar.candidate_ics(a, a.application.candidate)
    organizer = [line for line in parse_ics(ics) if line[0] == "ORGANIZER"]
    assert organizer and organizer[0][2] == "mailto:hr@bangkok.go.th"
    assert organizer[0][1]["CN"].strip('"') == "สำนักงาน ก.ก."  # (quoted: it has a space)
