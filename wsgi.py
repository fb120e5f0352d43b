"""WSGI entry point: `gunicorn wsgi:app` or `flask --app wsgi run`."""
import os

from app import create_app
from app.extensions import socketio

app = create_app(os.environ.get("FLASK_CONFIG", "default"))

if __name__ == "__main__":
    from app.exams import jobs

    jobs.start(app)  # the deadline sweeper; production runs it once (docs/deployment.md)
    socketio.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        allow_unsafe_werkzeug=True,
    )
