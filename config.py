"""Configuration classes, read from the environment with safe development defaults."""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


DEV_SECRET_KEY = "dev-only-change-me"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'bma_recruit.db'}"
    )
    # pool_pre_ping replaces connections that died (a PostgreSQL restart) before they are used.
    # PostgreSQL: a fixed pool per process and no overflow by default. Connections beyond the
    # pool would be opened and closed again under load (a new server process each time: 7 %
    # of the worker's time in the load benchmark, docs/performance.md); at the limit a
    # request waits up to DB_POOL_TIMEOUT seconds for a free one instead.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, **(
        {"pool_size": _env_int("DB_POOL_SIZE", 20), "max_overflow": _env_int("DB_MAX_OVERFLOW", 0),
         "pool_timeout": _env_int("DB_POOL_TIMEOUT", 10)}
        if SQLALCHEMY_DATABASE_URI.startswith("postgresql") else {})}
    # Proxies in front (nginx: 1) whose X-Forwarded-For/-Proto/-Host are trusted (wsgi.py).
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # Socket.IO message queue for several workers (issue 6); empty = single process.
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE", "")
    # Always explicit: with gevent installed Flask-SocketIO would otherwise pick it by itself.
    # `make run` and the tests use threads; gunicorn's gevent worker sets "gevent" (deploy/).
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "threading")
    # Proctors' tables get answer counts in batches, at most this often (0: one per answer).
    PROCTOR_PROGRESS_SECONDS = float(os.environ.get("PROCTOR_PROGRESS_SECONDS", "1.0"))
    # The Redis pub/sub channel: one per deployment sharing a Redis (and per test run).
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "flask-socketio")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    MAX_UPLOAD_BYTES = _env_int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024)
    # Whole request cap: a few documents at once plus the form itself.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 4 * 5 * 1024 * 1024 + 64 * 1024)

    # Login protection: Flask-Limiter per client address, and a lock per account.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = _env_int("LOGIN_LOCK_MINUTES", 15)

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

    # Merit lists (app/merit/workflow.py): valid this many years from publication; the one
    # extension may reach at most this many years past the current end.
    MERIT_LIST_VALID_YEARS = _env_int("MERIT_LIST_VALID_YEARS", 2)
    MERIT_LIST_MAX_EXTENSION_YEARS = _env_int("MERIT_LIST_MAX_EXTENSION_YEARS", 2)

    # The scheduler's leader lock on SQLite (flask jobs run); empty: `<database file>.jobs.lock`.
    # PostgreSQL uses an advisory lock instead.
    JOBS_LOCK_FILE = os.environ.get("JOBS_LOCK_FILE", "")

    BABEL_DEFAULT_LOCALE = "th"
    BABEL_DEFAULT_TIMEZONE = "Asia/Bangkok"
    LANGUAGES = ["th", "en"]
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    PROCTOR_PROGRESS_SECONDS = 0.0  # at once, so tests see each answer's count (batching: its own test)
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = "1000 per minute"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Strict"
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls) -> None:
        if cls.SECRET_KEY == DEV_SECRET_KEY:  # (Config.SECRET_KEY is the same value: inherited)
            raise RuntimeError("SECRET_KEY must be set in production")


config = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
    "default": DevelopmentConfig,
}
