"""WSGI entry point: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` (production and `make run`,
see docs/deployment.md), or `python wsgi.py` (`make dev`: Werkzeug's reloader, development only).

A serving process also runs, in the background, its heartbeat (time lost to the server is given
back, app/exams/outages.py) and, with JOBS_IN_WEB (`make run`: one process), the scheduler;
`start_background` does both, from gunicorn's post_worker_init hook or from `make dev`.
"""

import os

from app import create_app
from app.extensions import socketio

app = create_app(os.environ.get("FLASK_CONFIG", "default"))

if app.config["PROXY_COUNT"]:
    # Behind nginx: the client's address and scheme come from the proxy's headers (login rate
    # limits and the audit log need the real address). Only as many hops as there are proxies.
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = app.config["PROXY_COUNT"]
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def start_background(flask_app) -> None:
    """Before serving: beat once (giving back an outage first), then beat in the background;
    with JOBS_IN_WEB also run the scheduler here (it takes the one lock of the deployment, so
    a second process only waits). Events the scheduler sends then reach this process's
    clients without a message queue."""
    from app.exams import jobs

    if flask_app.config["HEARTBEAT_SECONDS"] > 0:
        jobs.start_heartbeat(flask_app)
    if flask_app.config["JOBS_IN_WEB"]:
        from app.jobs_runner import start_in_process

        start_in_process(flask_app)


if __name__ == "__main__":
    # `make dev`: the reloader's parent only watches files; the background work runs in the
    # child that serves (WERKZEUG_RUN_MAIN), never twice.
    debug = os.environ.get("FLASK_DEBUG", "1") not in ("0", "false", "")
    if not debug or os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        app.config["JOBS_IN_WEB"] = True
        start_background(app)
    socketio.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        debug=debug,
        use_reloader=debug,
        allow_unsafe_werkzeug=True,
    )
