"""Run a coroutine from a test while the session's Playwright fixture holds the main thread's loop."""

from __future__ import annotations

from flask import has_app_context


def run_async(coro):
    """asyncio.run in a thread of its own: the session's Playwright fixture keeps an event
    loop running in the main thread, where asyncio.run() would refuse to start."""
    import asyncio
    import threading

    from flask import current_app

    box: dict = {}
    flask_app = current_app._get_current_object() if has_app_context() else None

    def target():
        try:
            if flask_app is None:
                box["result"] = asyncio.run(coro)
            else:  # the coroutine may use the database, like the test around it
                with flask_app.app_context():
                    box["result"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")
