"""Profile the server's work per online-test event, in one process, without the network.

Builds a started sitting (bench/scenario.py), joins K candidates through Flask-SocketIO's test
client and has each fetch a question and answer it, R rounds. Prints the SQL statements and the
CPU time per join and per question+answer pair, and (with --profile / --profile-join) the top
functions by cumulative time.
The network, Engine.IO and the load generator are not in these figures: bench/exam_load.py
measures the whole thing.

    .venv/bin/python bench/exam_profile.py                 # SQLite, 20 candidates x 30 answers
    .venv/bin/python bench/exam_profile.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_exam
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default="")
    ap.add_argument("--candidates", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--profile", action="store_true", help="profile questions and answers")
    ap.add_argument("--profile-join", action="store_true", help="profile the joins")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="exam-profile-")
    url = args.database_url or f"sqlite:///{tmp}/profile.db"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "profile-only")

    import secrets

    from sqlalchemy import event, text

    from app import create_app
    from app.accounts.models import User
    from app.accounts.sessions import session_values
    from app.extensions import db, socketio
    from bench import scenario

    app = create_app(
        "production",
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "PUBLIC_BASE_URL": "https://bench.invalid",
            "TRUSTED_HOSTS": ["localhost", "127.0.0.1"],
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        },
    )
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
        built = scenario.build(args.candidates)
        statements = [0]
        event.listen(
            db.engine, "before_cursor_execute", lambda *a, **k: statements.__setitem__(0, statements[0] + 1)
        )

    clients = []
    join_prof = cProfile.Profile() if args.profile_join else None
    statements[0] = 0
    cpu0 = time.process_time()
    for cand in built.candidates:
        http = app.test_client()
        with http.session_transaction() as sess, app.app_context():
            sess.update(session_values(db.session.get(User, cand.user_id)))
        sio = socketio.test_client(app, namespace="/exam", flask_test_client=http)
        if join_prof:
            join_prof.enable()
        ack = sio.emit("join", {"sitting_id": built.sitting_id}, namespace="/exam", callback=True)
        if join_prof:
            join_prof.disable()
        assert ack["ok"], ack
        clients.append((sio, cand))
    joins = len(clients)
    print(
        f"{url.split(':')[0]}: {joins} connect+join: {statements[0] / joins:.1f} SQL statements "
        f"per join, {(time.process_time() - cpu0) / joins * 1000:.2f} ms CPU per connect+join"
    )
    if join_prof:
        pstats.Stats(join_prof).sort_stats("cumulative").print_stats(35)

    def one_round(r: int) -> None:
        for sio, cand in clients:
            index = r % len(cand.choices)
            q = sio.emit("question", {"index": index}, namespace="/exam", callback=True)
            assert q["ok"], q
            a = sio.emit(
                "answer",
                {"index": index, "choice": cand.choices[index][r % 4], "seq": r + 1},
                namespace="/exam",
                callback=True,
            )
            assert a["ok"] and not a["stale"], a

    one_round(0)  # warm-up
    statements[0] = 0
    prof = cProfile.Profile() if args.profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if prof:
        prof.enable()
    for r in range(1, args.rounds + 1):
        one_round(r)
    if prof:
        prof.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    pairs = args.rounds * len(clients)
    print(
        f"{url.split(':')[0]}: {pairs} question+answer pairs: "
        f"{statements[0] / pairs:.1f} SQL statements per pair, "
        f"{cpu / pairs * 1000:.2f} ms CPU per pair, {wall / pairs * 1000:.2f} ms wall per pair"
    )
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
