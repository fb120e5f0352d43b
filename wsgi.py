"""WSGI entry point: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` (production, see
docs/deployment.md), `flask --app wsgi run`, or `python wsgi.py` (`make run`)."""
import os

from app import create_app
from app.extensions import socketio

app = create_app(os.environ.get("FLASK_CONFIG", "default"))

if app.config["PROXY_COUNT"]:
    # Behind nginx: the client's address and scheme come from the proxy's headers (login rate
    # limits and the audit log need the real address). Only as many hops as there are proxies.
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = app.config["PROXY_COUNT"]
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

if __name__ == "__main__":
    from app.exams import jobs

    # `make run` is one process, so it runs the deadline sweeper itself; production runs the
    # jobs once, in `flask jobs run` (app/jobs_runner.py), never in the web processes.
    jobs.start(app)
    socketio.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        allow_unsafe_werkzeug=True,
    )
