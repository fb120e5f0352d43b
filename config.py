"""Configuration classes, read from the environment with safe development defaults."""

import os
from datetime import timedelta
from pathlib import Path

import orjson

BASE_DIR = Path(__file__).resolve().parent


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


DEV_SECRET_KEY = "dev-only-change-me"
# Values that have been published somewhere (our own examples, common tutorials): a key anyone
# can read signs anyone's session cookie, so production refuses them whatever their length.
KNOWN_PLACEHOLDER_KEYS = frozenset(
    {
        DEV_SECRET_KEY,
        "change-me",
        "changeme",
        "change_me",
        "secret",
        "secret-key",
        "secretkey",
        "test-secret",
        "dev",
        "development",
        "your-secret-key",
        "please-change-me",
        "replace-me",
        "CHANGE-ME-to-a-long-random-value",
    }
)
MIN_SECRET_KEY_BYTES = 32


def _env_list(name: str) -> list[str] | None:
    value = os.environ.get(name, "")
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'bma_recruit.db'}"
    )
    # Connections that died (a PostgreSQL restart) are replaced before they are used: on
    # PostgreSQL, a connection idle for DB_PING_IDLE_SECONDS or more is pinged at checkout
    # (common/db_ping.py; pre-ping at every checkout was a round trip per exam event);
    # SQLite (in process) keeps SQLAlchemy's pre-ping.
    # PostgreSQL: a fixed pool per process and no overflow by default. Connections beyond the
    # pool would be opened and closed again under load (a new server process each time: 7 %
    # of the worker's time in the load benchmark, docs/performance.md); at the limit a
    # request waits up to DB_POOL_TIMEOUT seconds for a free one instead.
    # JSON columns are read with orjson (a form, a state's sections: the proctor's start of a
    # sitting of thousands reads a form per candidate, and the standard library's decoder was
    # the largest part of it); written with the standard library as before.
    SQLALCHEMY_ENGINE_OPTIONS = {
        "json_deserializer": orjson.loads,
        "pool_pre_ping": not SQLALCHEMY_DATABASE_URI.startswith("postgresql"),
        **(
            {
                "pool_size": _env_int("DB_POOL_SIZE", 20),
                "max_overflow": _env_int("DB_MAX_OVERFLOW", 0),
                "pool_timeout": _env_int("DB_POOL_TIMEOUT", 10),
            }
            if SQLALCHEMY_DATABASE_URI.startswith("postgresql")
            else {}
        ),
    }
    DB_PING_IDLE_SECONDS = float(os.environ.get("DB_PING_IDLE_SECONDS", "5"))
    # PostgreSQL: the online test's hot path (questions, answers, status checks) has a pool of
    # its own whose connections stay in autocommit (app/exams/hot.py), beside the DB_POOL_SIZE
    # of everything else: a process holds up to DB_POOL_SIZE + HOT_POOL_SIZE connections.
    HOT_POOL_SIZE = _env_int("HOT_POOL_SIZE", 15)
    # Proxies in front (nginx: 1) whose X-Forwarded-For/-Proto/-Host are trusted (wsgi.py).
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # Socket.IO message queue for several workers (issue 6); empty = single process.
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE", "")
    # Always explicit: with gevent installed Flask-SocketIO would otherwise pick it by itself.
    # `make run` and the tests use threads; gunicorn's gevent worker sets "gevent" (deploy/).
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "threading")
    # permessage-deflate on the websockets: off | stateless | on (app/common/websocket.py; the
    # measurements behind the default: docs/deployment.md, "Websocket compression").
    WEBSOCKET_COMPRESSION = os.environ.get("WEBSOCKET_COMPRESSION", "off")
    # Proctors' tables get answer counts in batches, at most this often (0: one per answer).
    PROCTOR_PROGRESS_SECONDS = float(os.environ.get("PROCTOR_PROGRESS_SECONDS", "1.0"))
    # Item texts each web process keeps for the online test (item versions never change);
    # a form draws a few hundred, a bank a few thousand.
    EXAM_ITEM_CACHE_SIZE = _env_int("EXAM_ITEM_CACHE_SIZE", 20000)
    # Attempts' forms each web process keeps (exams.joining: a join again reads all but its form;
    # their entries shared, ~1 KB a form of 120 items).
    EXAM_FORM_CACHE_SIZE = _env_int("EXAM_FORM_CACHE_SIZE", 20000)
    # The proctor's start of a synchronized sitting begins its attempts and sends their
    # `started` messages this many at a time (connected candidates first).
    EXAM_START_BATCH = _env_int("EXAM_START_BATCH", 250)
    # A synchronized sitting's waiting room: each web process answers the pages' `sync` from
    # what it read of the sitting at most this many seconds ago (0: read it for every sync).
    EXAM_WAITING_CACHE_SECONDS = float(os.environ.get("EXAM_WAITING_CACHE_SECONDS", "1.0"))
    # Time the platform could not serve is given back (app/exams/outages.py): every web process
    # writes a heartbeat this often, and a gap in the newest beat longer than the threshold
    # (no live process, or no database) is an outage whose length the tests under way get back.
    HEARTBEAT_SECONDS = float(os.environ.get("HEARTBEAT_SECONDS", "5"))
    OUTAGE_THRESHOLD_SECONDS = float(os.environ.get("OUTAGE_THRESHOLD_SECONDS", "15"))
    # Run the scheduler (deadlines, offers, outbox) inside the web process: `make run` (one
    # process, no message queue). Production runs it once, in `flask jobs run` (deploy/).
    JOBS_IN_WEB = os.environ.get("JOBS_IN_WEB", "") in ("1", "true", "yes")
    # The Redis pub/sub channel: one per deployment sharing a Redis (and per test run).
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "flask-socketio")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    MAX_UPLOAD_BYTES = _env_int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
    # Exam bank imports (app/exams/importers): the largest file read (a YAML, GIFT, CSV or XLSX
    # file, a QTI item, a content package), the most items one import may hold, and the longest
    # item (stem, choices, key and explanation, in characters).
    BANK_MAX_FILE_BYTES = _env_int("BANK_MAX_FILE_BYTES", 5 * 1024 * 1024)
    BANK_MAX_ITEMS = _env_int("BANK_MAX_ITEMS", 3000)
    BANK_MAX_ITEM_CHARS = _env_int("BANK_MAX_ITEM_CHARS", 20000)
    # The item bank page (docs/exam_bank.md): an uploaded bank file or package, each image or
    # audio file kept with an item, and how long an upload waits for its confirmation.
    BANK_UPLOAD_MAX_BYTES = _env_int("BANK_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
    BANK_MEDIA_MAX_BYTES = _env_int("BANK_MEDIA_MAX_BYTES", 5 * 1024 * 1024)
    BANK_UPLOAD_KEEP_HOURS = _env_int("BANK_UPLOAD_KEEP_HOURS", 24)
    # Whole request cap: a few documents at once plus the form itself.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 4 * 5 * 1024 * 1024 + 64 * 1024)
    # The organisation's emblem printed at the head of admission tickets, certificates and
    # merit-list announcements (a PNG or JPEG file). The default is a neutral placeholder made
    # for this project, not the BMA seal: a deployment sets the seal it is entitled to use.
    # Empty: no emblem.
    ORG_EMBLEM_PATH = os.environ.get(
        "ORG_EMBLEM_PATH", str(BASE_DIR / "app" / "static" / "img" / "emblem-placeholder.png")
    )

    # Login protection (docs/security.md): Flask-Limiter counts FAILED log-ins only, per client
    # address and per account + address, in growing windows (a backoff). There is no account
    # lock: a stranger elsewhere can never keep the owner out.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "30 per minute;300 per hour")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get(
        "LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;20 per hour;50 per day"
    )
    # Registration, "forgot password" and similar forms that send an email, per client address.
    ACCOUNT_EMAIL_RATE_LIMIT = os.environ.get("ACCOUNT_EMAIL_RATE_LIMIT", "10 per minute;50 per hour")
    # Links sent by email (docs/security.md): a password reset lives an hour and works once;
    # an email confirmation lives two days.
    PASSWORD_RESET_MAX_AGE = _env_int("PASSWORD_RESET_MAX_AGE", 3600)
    EMAIL_VERIFY_MAX_AGE = _env_int("EMAIL_VERIFY_MAX_AGE", 2 * 86400)

    # Sessions (checked on every request, app/accounts/sessions.py): ended after this long
    # without a request, and this long after logging in whatever happens (ASVS 3.3.2).
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30)
    SESSION_ABSOLUTE_HOURS = _env_int("SESSION_ABSOLUTE_HOURS", 8)

    # Scholarship contracts (app/scholarships): years of service owed per year funded, unless HR
    # records another figure; reminders to HR this many days before a graduation and before an
    # obligation ends.
    SCHOLARSHIP_SERVICE_MULTIPLIER = os.environ.get("SCHOLARSHIP_SERVICE_MULTIPLIER", "2")
    SCHOLARSHIP_GRADUATION_NOTICE_DAYS = _env_int("SCHOLARSHIP_GRADUATION_NOTICE_DAYS", 90)
    SCHOLARSHIP_OBLIGATION_NOTICE_DAYS = _env_int("SCHOLARSHIP_OBLIGATION_NOTICE_DAYS", 60)

    # Hosts this site answers to (Flask refuses any other Host header with a 400), and the
    # base of every absolute link sent outside (emails, PDFs): never the client's Host.
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    # HSTS and the Secure cookie flag (production sets both; `make run` is plain http).
    FORCE_HTTPS = False

    # Outgoing mail of the outbox (app/notifications); unset = written to the log only.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") in ("1", "true", "yes")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    # The sender of every email and the organizer of the interview invitations (.ics).
    MAIL_FROM = os.environ.get("MAIL_FROM", "BMA Recruit <no-reply@recruit.bangkok.go.th>")

    # Interviews (app/interviews/schedule.py): a candidate may move a booking until this many
    # hours before it; check-in opens this many minutes before the slot; an approved extra-time
    # accommodation adds this many minutes to the round's standard slot.
    INTERVIEW_MOVE_CUTOFF_HOURS = _env_int("INTERVIEW_MOVE_CUTOFF_HOURS", 48)
    INTERVIEW_CHECKIN_OPENS_MINUTES = _env_int("INTERVIEW_CHECKIN_OPENS_MINUTES", 30)
    INTERVIEW_EXTRA_MINUTES = _env_int("INTERVIEW_EXTRA_MINUTES", 15)
    # Automatic scheduling books no slot sooner than this many days ahead, so the candidate is
    # told in time and keeps the right to move (longer than the move cut-off above).
    INTERVIEW_MIN_NOTICE_DAYS = _env_int("INTERVIEW_MIN_NOTICE_DAYS", 3)

    # HR's lists at volume (applications, stage scores): rows per page.
    HR_LIST_PER_PAGE = _env_int("HR_LIST_PER_PAGE", 50)

    # Online interview rooms (app/interviews/video.py, docs/video.md) on a Janus media server.
    # Off (empty JANUS_URL): online interviews use the panel's or the slot's meeting link.
    # JANUS_URL: the HTTP API the app talks to (with JANUS_API_SECRET); JANUS_ADMIN_URL: its
    # admin API (per-person tokens, with JANUS_ADMIN_SECRET); JANUS_ROOM_ADMIN_KEY: VideoRoom's
    # admin_key; JANUS_WS_URL: what browsers connect to (through nginx in production).
    JANUS_URL = os.environ.get("JANUS_URL", "")
    JANUS_ADMIN_URL = os.environ.get("JANUS_ADMIN_URL", "")
    JANUS_WS_URL = os.environ.get("JANUS_WS_URL", "")
    JANUS_API_SECRET = os.environ.get("JANUS_API_SECRET", "")
    JANUS_ADMIN_SECRET = os.environ.get("JANUS_ADMIN_SECRET", "")
    JANUS_ROOM_ADMIN_KEY = os.environ.get("JANUS_ROOM_ADMIN_KEY", "")
    JANUS_TIMEOUT_SECONDS = float(os.environ.get("JANUS_TIMEOUT_SECONDS", "5"))
    # A room exists from this many minutes before its slot until the interview is finalized.
    VIDEO_OPENS_MINUTES = _env_int("VIDEO_OPENS_MINUTES", 15)
    # Each publisher's cap (REMB, bits/s): 300 kbps carries 320x240 to 640x360, enough for a
    # face and a card held up, and fits a phone on 4G (docs/deployment.md sizes the server).
    VIDEO_BITRATE = _env_int("VIDEO_BITRATE", 300_000)
    # Recording, for agencies that turn it on (Agency.records_interviews): Janus writes the
    # streams here (this folder must be the media server's too: same host or a shared mount);
    # converted recordings are deleted this many days after the interview.
    VIDEO_RECORDINGS_DIR = os.environ.get("VIDEO_RECORDINGS_DIR", str(BASE_DIR / "instance" / "recordings"))
    VIDEO_RECORDING_KEEP_DAYS = _env_int("VIDEO_RECORDING_KEEP_DAYS", 90)
    # Janus's post-processor (Debian's janus-tools) turns its .mjr files into WebM / Opus.
    JANUS_PP_REC = os.environ.get("JANUS_PP_REC", "janus-pp-rec")
    # TURN (coturn, `use-auth-secret`): candidates behind NAT relay through it with credentials
    # valid this many seconds, made from the shared secret. TURN_URLS: comma-separated
    # turn:/turns: URLs; empty: no TURN offered.
    TURN_URLS = _env_list("TURN_URLS") or []
    TURN_SECRET = os.environ.get("TURN_SECRET", "")
    TURN_TTL_SECONDS = _env_int("TURN_TTL_SECONDS", 4 * 3600)

    # Merit lists (app/merit/workflow.py): valid this many years from publication; the one
    # extension may reach at most this many years past the current end.
    MERIT_LIST_VALID_YEARS = _env_int("MERIT_LIST_VALID_YEARS", 2)
    MERIT_LIST_MAX_EXTENSION_YEARS = _env_int("MERIT_LIST_MAX_EXTENSION_YEARS", 2)

    # Item calibration and parallel forms (app/exams/calibration.py, parallel_forms.py,
    # docs/psychometrics.md). An item version needs this many responses for Rasch parameters
    # and this many for 2PL ones; with fewer it keeps its author's difficulty band. Calibrated
    # difficulties map to bands at these cut points (logits).
    CALIBRATION_MIN_RESPONSES = _env_int("CALIBRATION_MIN_RESPONSES", 30)
    CALIBRATION_MIN_RESPONSES_2PL = _env_int("CALIBRATION_MIN_RESPONSES_2PL", 300)
    CALIBRATION_BAND_CUTS = (-0.5, 0.5)
    # Forms of one exam are parallel when their expected scores (in points) differ by at most
    # this much at every ability point below, unless the exam sets its own tolerance; an item
    # may appear on at most this share of an exam's forms; the solver stops after this long.
    PARALLEL_FORMS_TOLERANCE = float(os.environ.get("PARALLEL_FORMS_TOLERANCE", "1.0"))
    PARALLEL_FORMS_THETAS = (-1.0, -0.5, 0.0, 0.5, 1.0)
    PARALLEL_FORMS_MAX_EXPOSURE = float(os.environ.get("PARALLEL_FORMS_MAX_EXPOSURE", "0.5"))
    PARALLEL_FORMS_TIME_LIMIT_SECONDS = float(os.environ.get("PARALLEL_FORMS_TIME_LIMIT_SECONDS", "30"))
    # Application fees (app/payments, docs/booking-and-fees.md). The biller ID (15 digits: the
    # BMA's tax ID and the suffix its bank assigns to the collection account) and the payee
    # name go into the Thai QR bill-payment code on every slip; ask the bank for them.
    PAYMENT_BILLER_ID = os.environ.get("PAYMENT_BILLER_ID", "099400016550100")
    PAYMENT_PAYEE_TH = os.environ.get("PAYMENT_PAYEE_TH", "กรุงเทพมหานคร (สำนักงาน ก.ก.)")
    # The bank's bill-payment report as CSV: which header names each field may have (the first
    # one found is used; headers compare without case and spaces). date/time/ref1/amount are
    # required, the others optional. Dates DD/MM/YYYY (Buddhist or Christian year) or ISO.
    STATEMENT_COLUMNS = {
        "date": ["date", "transaction date", "วันที่", "วันที่ทำรายการ"],
        "time": ["time", "transaction time", "เวลา", "เวลาทำรายการ"],
        "ref1": ["ref1", "reference 1", "reference1", "เลขอ้างอิง 1", "ref.1"],
        "ref2": ["ref2", "reference 2", "reference2", "เลขอ้างอิง 2", "ref.2"],
        "amount": ["amount", "credit", "deposit", "จำนวนเงิน", "ยอดเงิน"],
        "payer": ["customer name", "name", "payer", "ชื่อผู้ชำระ", "ชื่อลูกค้า"],
        "transaction_id": ["transaction id", "txn id", "เลขที่รายการ"],
    }
    STATEMENT_MAX_BYTES = _env_int("STATEMENT_MAX_BYTES", 5 * 1024 * 1024)

    # Seat booking (app/booking): a freed seat offered to the next candidate on a sitting's
    # waiting list is held this long for them to confirm (or to pay, if the seat needs it);
    # a new booking's unpaid hold lasts the round's hold_hours (default below).
    BOOKING_OFFER_HOURS = _env_int("BOOKING_OFFER_HOURS", 24)
    BOOKING_DEFAULT_HOLD_HOURS = _env_int("BOOKING_DEFAULT_HOLD_HOURS", 48)
    # How many other sittings with free seats a candidate told "full" is offered.
    BOOKING_ALTERNATIVES = _env_int("BOOKING_ALTERNATIVES", 3)

    # The scheduler's leader lock on SQLite (flask jobs run); empty: `<database file>.jobs.lock`.
    # PostgreSQL uses an advisory lock instead.
    JOBS_LOCK_FILE = os.environ.get("JOBS_LOCK_FILE", "")
    # Background jobs (app/background): run at once inside the request that starts them (the
    # tests), or else by the scheduler (in the web process with JOBS_IN_WEB, or `flask jobs
    # run`), which looks for queued ones this often.
    JOBS_RUN_INLINE = os.environ.get("JOBS_RUN_INLINE", "") in ("1", "true", "yes")
    BACKGROUND_JOBS_EVERY_SECONDS = float(os.environ.get("BACKGROUND_JOBS_EVERY_SECONDS", "1"))
    # Work on more rows than this (a CSV import, a bulk approval) runs as a background job with
    # its progress shown; smaller work is done in the request, which answers at once.
    BACKGROUND_ROWS_THRESHOLD = _env_int("BACKGROUND_ROWS_THRESHOLD", 500)
    # A job still running this long after it started was cut off (its process ended): failed.
    BACKGROUND_JOB_STALE_MINUTES = _env_int("BACKGROUND_JOB_STALE_MINUTES", 60)

    BABEL_DEFAULT_LOCALE = "th"
    BABEL_DEFAULT_TIMEZONE = "Asia/Bangkok"
    LANGUAGES = ["th", "en"]
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # The cookie's own life; the absolute and idle limits above are enforced server-side.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 8))
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    JOBS_RUN_INLINE = True  # a job's result is there when the view that started it answers
    PROCTOR_PROGRESS_SECONDS = 0.0  # at once, so tests see each answer's count (batching: its own test)
    HOT_POOL_SIZE = 5  # (many apps and servers share one PostgreSQL in a test run)
    SECRET_KEY = "test-secret"
    PUBLIC_BASE_URL = ""
    TRUSTED_HOSTS = None
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = "1000 per minute"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Strict"
    PREFERRED_URL_SCHEME = "https"
    FORCE_HTTPS = True

    @classmethod
    def check(cls, settings) -> None:
        """Refuse to start with settings that would make the deployment unsafe."""
        check_secret_key(settings.get("SECRET_KEY"))
        if not settings.get("PUBLIC_BASE_URL", "").startswith("https://"):
            raise RuntimeError(
                "PUBLIC_BASE_URL must be set in production, e.g. "
                "https://recruit.bangkok.go.th (links in emails and PDFs)"
            )
        if not settings.get("TRUSTED_HOSTS"):
            raise RuntimeError("TRUSTED_HOSTS must list the site's host names in production")


def check_secret_key(key) -> None:
    """A production SECRET_KEY: at least 32 bytes and none of the published placeholders."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not key:
        raise RuntimeError("SECRET_KEY must be set in production (docs/security.md says how)")
    if key.decode("utf-8", "replace").strip() in KNOWN_PLACEHOLDER_KEYS:
        raise RuntimeError("SECRET_KEY is a published placeholder: generate a random one (docs/security.md)")
    if len(key) < MIN_SECRET_KEY_BYTES:
        raise RuntimeError(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes "
            "(docs/security.md says how to make one)"
        )


class LocalConfig(Config):
    """`make run`: served as in production (gunicorn, gevent, no debugger), on plain HTTP on
    this machine, so without production's secure-only cookies."""


config = {
    "development": DevelopmentConfig,
    "local": LocalConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
    "default": DevelopmentConfig,
}
