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
import json
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
    ap.add_argument("--profile-sync", action="store_true", help="profile the waiting room's syncs")
    ap.add_argument("--profile-start", action="store_true", help="profile the proctor's start")
    ap.add_argument("--top", type=int, default=35, help="functions shown per profile")
    ap.add_argument(
        "--per-band",
        type=int,
        default=5,
        help="items per difficulty band and section: a form of 6 × this many (5: 30; 20: 120, a Part A)",
    )
    ap.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    ap.add_argument(
        "--gc-thresholds",
        default="",
        help="freeze what is loaded and set the collector's thresholds, as deploy/gunicorn.conf.py does "
        "(e.g. 50000,20,100); default: Python's",
    )
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
    if args.gc_thresholds:
        import gc

        gc.freeze()
        gc.set_threshold(*[int(x) for x in args.gc_thresholds.split(",")])
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
        # (the waiting room, then the start)
        built = scenario.build(args.candidates, start=False, per_band=args.per_band)
        statements = [0]
        engines = [db.engine]
        if db.engine.dialect.name == "postgresql":
            from app.exams import hot

            engines.append(hot.autocommit_engine())  # (the hot path's own, app/exams/hot.py)
        for engine in engines:
            event.listen(
                engine, "before_cursor_execute", lambda *a, **k: statements.__setitem__(0, statements[0] + 1)
            )

    def logged_in(user_id: int):
        http = app.test_client()
        with http.session_transaction() as sess, app.app_context():
            sess.update(session_values(db.session.get(User, user_id)))
        return http

    profiles: dict[str, cProfile.Profile] = {}
    figures: dict[str, tuple[float, float, int]] = {}  # name -> (CPU ms, statements, count) per op

    def measure(name: str, count: int, work, profile: bool = False) -> None:
        prof = cProfile.Profile() if profile else None
        statements[0] = 0
        cpu0 = time.process_time()
        if prof:
            prof.enable()
        work()
        if prof:
            prof.disable()
            profiles[name] = prof
        cpu = time.process_time() - cpu0
        figures[name] = (cpu / count * 1000, statements[0] / count, count)

    # the baseline: the framework's own cost of one acknowledged event (an event the namespace
    # does not have: parsed, dispatched in an app context, acknowledged `unknown_event`)
    def baseline(clients, rounds: int) -> None:
        for _r in range(rounds):
            for sio, _cand in clients:
                ack = sio.emit("no_such_event", {}, namespace="/exam", callback=True)
                assert ack["error"] == "unknown_event", ack

    https = [logged_in(c.user_id) for c in built.candidates]
    clients = []

    def connect_all() -> None:
        for http, cand in zip(https, built.candidates, strict=True):
            clients.append((socketio.test_client(app, namespace="/exam", flask_test_client=http), cand))

    def join_all() -> None:
        for sio, _cand in clients:
            ack = sio.emit("join", {"sitting_id": built.sitting_id}, namespace="/exam", callback=True)
            assert ack["ok"], ack

    measure("connect", len(https), connect_all)
    measure("join (waiting room)", len(clients), join_all, args.profile_join)
    measure("baseline event", len(clients) * 3, lambda: baseline(clients, 3))

    def sync_all(rounds: int) -> None:
        for r in range(rounds):
            for sio, _cand in clients:
                ack = sio.emit(
                    "sync", {"client_time": 1_700_000_000_000 + r}, namespace="/exam", callback=True
                )
                assert ack["ok"] and ack["status"] == "not_started", ack

    measure(
        "sync (waiting room)", len(clients) * args.rounds, lambda: sync_all(args.rounds), args.profile_sync
    )

    proctor = socketio.test_client(app, namespace="/proctor", flask_test_client=logged_in(built.proctor_id))
    for sio, _cand in clients:
        sio.get_received("/exam")

    def start() -> None:
        ack = proctor.emit("start", {"sitting_id": built.sitting_id}, namespace="/proctor", callback=True)
        assert ack["ok"], ack

    measure("the start, per candidate", len(clients), start, args.profile_start)
    pushed = sum(
        any(m["name"] == "started" and m["args"][0].get("first_question") for m in sio.get_received("/exam"))
        for sio, _cand in clients
    )
    assert pushed == len(clients), f"{pushed} of {len(clients)} pages got the first question with the start"

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

    def rounds() -> None:
        for r in range(1, args.rounds + 1):
            one_round(r)

    wall0 = time.perf_counter()
    measure("question + answer", len(clients) * args.rounds, rounds, args.profile)
    wall = (time.perf_counter() - wall0) / (len(clients) * args.rounds) * 1000
    measure(
        "sync (under way)",
        len(clients),
        lambda: [
            sio.emit("sync", {"client_time": 1}, namespace="/exam", callback=True) for sio, _ in clients
        ],
    )

    def rejoin_all() -> None:
        for sio, _cand in clients:
            ack = sio.emit("join", {"sitting_id": built.sitting_id}, namespace="/exam", callback=True)
            assert ack["ok"], ack

    measure("join (under way, answers stored)", len(clients), rejoin_all, args.profile_join)

    base = figures["baseline event"][0]
    kind = url.split(":")[0]
    print(f"{kind}, {len(clients)} candidates, {args.rounds} rounds; CPU per operation in this process,")
    print("and its ratio to the baseline event measured in the same process (the machine's load cancels):")
    for name, (cpu_ms, stmts, count) in figures.items():
        print(
            f"  {name:34} {cpu_ms:7.2f} ms CPU  {cpu_ms / base:6.1f}x baseline  "
            f"{stmts:4.1f} statements  (n={count})"
        )
    print(f"  question + answer, wall per pair (one client at a time): {wall:.2f} ms")
    if args.json:
        print(
            json.dumps(
                {
                    "database": kind,
                    "candidates": len(clients),
                    "baseline_ms": round(base, 3),
                    "ops": {
                        k: {
                            "cpu_ms": round(v[0], 3),
                            "ratio": round(v[0] / base, 2),
                            "statements": round(v[1], 2),
                        }
                        for k, v in figures.items()
                    },
                }
            )
        )
    for name, prof in profiles.items():
        print(f"---- profile: {name}")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
