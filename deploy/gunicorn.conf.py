"""gunicorn settings for one BMA Recruit web process: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

One process = one gevent worker (Flask-SocketIO cannot balance Socket.IO sessions across the
workers of one gunicorn master: its balancing is not sticky). Run about one such process per
core, each on its own port (PORT, 8001, 8002, ...), behind nginx with sticky sessions, and share
events between them through Redis (SOCKETIO_MESSAGE_QUEUE). See docs/deployment.md.
The periodic jobs do NOT run here: one `flask jobs run` per deployment does them (except under
`make run`, JOBS_IN_WEB=1: one process). Each worker writes a heartbeat (see post_worker_init).
"""
import os
import resource
import sys

# Before the app is imported (in the worker, after gevent's monkey patching): Flask-SocketIO
# must use gevent here, while tests and `make run` keep threads (config.SOCKETIO_ASYNC_MODE).
os.environ.setdefault("SOCKETIO_ASYNC_MODE", "gevent")
os.environ.setdefault("FLASK_CONFIG", "production")

port = os.environ.get("PORT", "8001")
bind = os.environ.get("BIND", f"127.0.0.1:{port}")
worker_class = "gevent"
workers = 1  # never more: see the docstring
# Each Socket.IO client holds one connection; gunicorn's default (1000) is too low for a hall.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "10000"))
backlog = int(os.environ.get("BACKLOG", "4096"))
keepalive = 75  # nginx keeps upstream connections open (keepalive in the upstream block)
timeout = int(os.environ.get("WORKER_TIMEOUT", "60"))  # the gevent worker's heartbeat, not a request limit
graceful_timeout = 20
proc_name = f"bma-recruit-{port}"
accesslog = os.environ.get("ACCESS_LOG") or None  # nginx already logs every request
errorlog = os.environ.get("ERROR_LOG", "-")
loglevel = os.environ.get("LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def on_starting(server):
    """Raise the open-files soft limit to the hard limit: one descriptor per connected candidate."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    server.log.info("open files limit %s (worker_connections %s)",
                    resource.getrlimit(resource.RLIMIT_NOFILE)[0], worker_connections)


def post_worker_init(worker):
    """Before the worker serves: the garbage collector's settings (below), its heartbeat (time
    lost to the server is given back first) and, with JOBS_IN_WEB, the scheduler
    (wsgi.start_background).

    The collector: everything loaded so far (the app, its libraries) is frozen out of its
    scans, and it runs less often (GC_THRESHOLDS, default 50000,20,100; Python's 700,10,10):
    with thousands of connections a process holds millions of objects, and the proctor's start
    of a sitting allocates enough to set off full collections over all of them, in the very
    seconds every page waits (issue 20, docs/performance.md). Only objects in reference cycles
    wait longer to be freed."""
    import gc

    gc.freeze()
    thresholds = [int(x) for x in os.environ.get("GC_THRESHOLDS", "50000,20,100").split(",")]
    gc.set_threshold(*thresholds)
    limit = float(os.environ.get("LOOP_MONITOR_SECONDS") or 0)
    if limit > 0:  # event-loop health: a warning with the stack for each block (app/common/loop_monitor.py)
        import logging

        from app.common import loop_monitor

        logging.getLogger("bma.loop_monitor").addHandler(logging.StreamHandler(sys.stderr))
        loop_monitor.start(limit)
    module = sys.modules.get("wsgi")
    if module is not None and hasattr(module, "start_background"):
        module.start_background(module.app)
