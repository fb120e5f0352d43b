"""The exam day's hard moments (issue 20): the start storm, the answering that follows, a
reconnect storm, and one process's closed-loop capacity, over real websockets, driven by the
project's Python client (bench/sioclient.py) and/or Node's socket.io-client (bench/node/).

    .venv/bin/python bench/exam_start.py --database sqlite --candidates 1000
    .venv/bin/python bench/exam_start.py --database postgresql --workers 2 --candidates 5000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_exam --generator both

For each generator, and for our app then the bare echo (bench/echo_app.py) served the same way:
1. A synchronized sitting of N checked-in candidates that has NOT started (fresh database for
   each run of our app: the start happens once).
2. The candidates arrive in a ramp (--join-rate per second), connect and join: the waiting room.
   Server memory per connected candidate = (RSS now - RSS before the first) / N.
3. The proctor (connected to /proctor, dashboard open) starts the sitting. Per candidate: the
   time from the proctor's `start` to the `started` state on the page, and to the first
   question on screen (carried by `started`, or asked for when it is not): p50/p95/max.
4. Everyone answers every --pace seconds (question + answer) for --window seconds: ack latency.
5. Reconnect storm: every connection dropped at once (as a killed worker or a network blip
   would); each page reconnects after socket.io's delay (--reconnect-delay x 0.5-1.5) and joins
   again, re-sending what was unacknowledged. Settle time = until the last one is back.
6. Closed loop: --closed-loop candidates answer back to back for --window seconds.
7. Every acknowledged answer is checked in the database (LOST), and the database is checked for
   duplicates: two rows for one (attempt, question), or an attempt started twice in the audit.

With --monitor the web processes watch their event loop (LOOP_MONITOR_SECONDS 0.1,
app/common/loop_monitor.py): every block longer than 0.1 s is counted and its stack printed.
Everything targets loopback, is bounded in time (--max-minutes) and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import cluster, scenario, sioclient  # noqa: E402
from bench.exam_load import prepare_database, raise_nofile, rss_mb  # noqa: E402
from bench.start_generators import LOCALE, bounded_python, node_available, node_generator  # noqa: E402
from bench.start_readings import Phases, PhaseSampler, blocks_in, check_database  # noqa: E402

# ---- one run --------------------------------------------------------------------------------


def serve(args, url, secret, tmp: Path, app_module: str) -> cluster.Cluster:
    extra = {
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "WORKER_CONNECTIONS": "20000",
        "PUBLIC_BASE_URL": "https://bench.invalid",
        "TRUSTED_HOSTS": "recruit.example.go.th,127.0.0.1,localhost",
        "WEBSOCKET_COMPRESSION": args.compression,
    }
    if args.monitor:
        extra.update(LOOP_MONITOR_SECONDS="0.1")  # (app/common/loop_monitor.py)
    if args.gc_thresholds:
        extra["GC_THRESHOLDS"] = args.gc_thresholds
    c = cluster.Cluster(
        url,
        tmp,
        workers=args.workers,
        nginx=args.workers > 1,
        message_queue=args.message_queue if args.workers > 1 else "",
        channel=f"bench-{secrets.token_hex(4)}",
        config="production",
        secret=secret,
        app=app_module,
        extra_env=extra,
        # (two per websocket: the page's and the upstream's; 8,192 held 4,096 pages)
        nginx_connections=max(8192, 2 * args.candidates + 1000),
    )
    return c.__enter__()


# ---- a sitting prepared ahead (--prepare, then --prepared) --------------------------------------


def _database_for(args, generator: str) -> str:
    return f"{args.database_url}_{generator}"


def prepare_ahead(args, log) -> None:
    """Build, for each generator, a waiting sitting of N in a PostgreSQL database of its own
    (--database-url + _python / _node, created if missing), and write where to find them to
    the --prepare file: building 5,000 candidates takes minutes that a quiet hour is too short
    for. A prepared sitting starts once: prepare again for the next run."""
    import psycopg
    from sqlalchemy.engine import make_url

    from app.extensions import db

    if args.database != "postgresql":
        raise SystemExit("--prepare is for PostgreSQL (SQLite runs build their sitting in seconds)")
    prepared = {}
    for generator in ["python", "node"] if args.generator == "both" else [args.generator]:
        url = _database_for(args, generator)
        target = make_url(url)
        admin = target.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
            ).fetchone():
                conn.execute(f'CREATE DATABASE "{target.database}"')
        one = argparse.Namespace(**{**vars(args), "database_url": url})
        t0 = time.monotonic()
        app, url, secret, built, _cookies, _ = prepare_database(
            one, Path(tempfile.mkdtemp()), args.candidates, start=False
        )
        with app.app_context():
            db.engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:  # kept to start again (load_prepared)
            conn.execute(f'DROP DATABASE IF EXISTS "{target.database}_template"')
            conn.execute(f'CREATE DATABASE "{target.database}_template" TEMPLATE "{target.database}"')
        prepared[generator] = {
            "url": url,
            "secret": secret,
            "built": {
                "sitting_id": built.sitting_id,
                "proctor_id": built.proctor_id,
                "proctor_email": built.proctor_email,
                "deadline": str(built.deadline),
                "candidates": [
                    [c.user_id, c.email, c.seat_id, c.attempt_id, c.choices] for c in built.candidates
                ],
            },
        }
        log(
            f"prepared {args.candidates} waiting candidates for the {generator} generator "
            f"in {time.monotonic() - t0:.0f} s"
        )
    Path(args.prepare).write_text(json.dumps(prepared))


def load_prepared(args, generator: str):
    """The prepared sitting, as it was before any start: its database is made again from the
    copy --prepare kept (<database>_template), so a prepared sitting can be run again."""
    import psycopg
    from sqlalchemy.engine import make_url

    from app import create_app

    entry = json.loads(Path(args.prepared).read_text())[generator]
    target = make_url(entry["url"])
    admin = target.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (f"{target.database}_template",)
        ).fetchone():
            conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{target.database}" TEMPLATE "{target.database}_template"')
    b = entry["built"]
    if len(b["candidates"]) != args.candidates:
        raise SystemExit(
            f"{args.prepared} holds {len(b['candidates'])} candidates, not --candidates {args.candidates}"
        )
    built = scenario.Built(
        b["sitting_id"],
        b["proctor_id"],
        b["proctor_email"],
        [scenario.Seated(*c) for c in b["candidates"]],
        b["deadline"],
    )
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": entry["url"], "SECRET_KEY": entry["secret"]})
    cookies = [scenario.session_cookie(app, c.user_id) for c in built.candidates]
    return app, entry["url"], entry["secret"], built, cookies


def one_run(args, generator: str, system: str, tmp: Path, log, emit, deadline: float, built_for_echo=None):
    n = args.candidates
    if args.prepared and (system == "app" or built_for_echo is None):
        app, url, secret, built, cookies = load_prepared(args, generator)
        log(f"[{system}/{generator}] the sitting prepared in {url.rsplit('/', 1)[-1]} (--prepare)")
    elif system == "app" or built_for_echo is None:
        app, url, secret, built, cookies, _ = prepare_database(args, tmp, n, start=False)
    else:
        app, url, secret, built, cookies = built_for_echo
    servers = serve(
        args,
        url,
        secret,
        tmp / f"{system}-{generator}",
        "wsgi:app" if system == "app" else "bench.echo_app:app",
    )
    procs = list(servers.webs.values()) + [p for p in servers.procs if p.name == "nginx"]

    def pids():
        return [pid for proc in procs for pid in proc.pids()]

    def proxy_pids():
        return [pid for proc in procs if proc.name == "nginx" for pid in proc.pids()]

    if servers.nginx_port:
        cookies = [f"{c}; bma_route=c{i}" for i, c in enumerate(cookies)]
    idle_rss = rss_mb(pids())
    idle_proxy_rss = rss_mb(proxy_pids()) if servers.nginx_port else 0.0
    cfg = {
        "port": servers.front,
        "sitting_id": built.sitting_id,
        "cookies": cookies,
        "proctor_cookie": scenario.session_cookie(app, built.proctor_id),
        "forms": [c.choices for c in built.candidates],
        "pace": args.pace,
        "window": args.window,
        "join_rate": args.join_rate,
        "ack_timeout": args.ack_timeout,
        "start_timeout": args.start_timeout,
        "reconnect": not args.no_reconnect,
        "reconnect_delay": args.reconnect_delay,
        "closed_loop": args.closed_loop,
        "deflate": not args.no_deflate,
        "locale": LOCALE,
        "watch": system == "app",
        "stop_after": args.stop_after,
        "page_syncs": not args.no_page_syncs,
        "tmp": str(tmp),
    }
    log(f"[{system}/{generator}] {n} candidates, port {servers.front}, idle server RSS {idle_rss:.0f} MB")
    budget_s = max(20.0, deadline - time.monotonic() - 45)  # (the database check, teardown)
    sampler = None
    if args.py_spy and system == "app":
        workers = [pid for proc in servers.webs.values() for pid in proc.pids()[1:]]
        sampler = PhaseSampler(workers, tmp, args.py_spy)
    proxy = proxy_pids if servers.nginx_port else None
    try:
        if generator == "python":
            phases = Phases(pids, None, args.database, proxy, sampler)
            result = sioclient.run(bounded_python(cfg, phases, log, emit, budget_s))
        else:
            result = sioclient.run(
                node_generator(
                    cfg,
                    lambda pid: Phases(pids, pid, args.database, proxy, sampler),
                    log,
                    emit,
                    {},
                    budget_s,
                )
            )
        if args.monitor:
            result["monitor"] = blocks_in(servers.logs)
        for line in servers.logs_text().splitlines():  # (each process: how many it told of a start)
            if "started:" in line and "connected here told" in line:
                log(line.strip())
        if sampler is not None:
            sampler.stop()
            result["py_spy"] = sampler.summary()
            emit("py_spy", result["py_spy"])
    except BaseException:
        log(servers.logs_text())
        raise
    finally:
        if sampler is not None:
            sampler.stop()
        servers.close()
    waiting = result.get("waiting") or {}
    if waiting.get("server_rss_mb"):
        result["server_kb_per_candidate"] = round((waiting["server_rss_mb"] - idle_rss) * 1024 / n, 1)
    result["idle_server_rss_mb"] = round(idle_rss, 1)
    if waiting.get("proxy_rss_mb") is not None:  # (of which nginx: the web processes' share apart)
        result["proxy_kb_per_candidate"] = round((waiting["proxy_rss_mb"] - idle_proxy_rss) * 1024 / n, 1)
        result["web_kb_per_candidate"] = round(
            result["server_kb_per_candidate"] - result["proxy_kb_per_candidate"], 1
        )
    emit(
        "memory",
        {
            "idle_server_rss_mb": result["idle_server_rss_mb"],
            "waiting_server_rss_mb": waiting.get("server_rss_mb"),
            "server_kb_per_candidate": result.get("server_kb_per_candidate"),
            "web_kb_per_candidate": result.get("web_kb_per_candidate"),
            "proxy_kb_per_candidate": result.get("proxy_kb_per_candidate"),
        },
    )
    acked = result.pop("acked", [])
    if system == "app":
        result["database"] = check_database(app, built, acked)
    else:
        result["database"] = {"acked_answers": len(acked)}
    emit("database", result["database"])
    return result, (
        app,
        url,
        secret,
        built,
        cookies if not servers.nginx_port else [c.split("; bma_route=")[0] for c in cookies],
    )


def summary_line(system: str, generator: str, r: dict) -> str:
    s, p = r.get("start", {}), r.get("paced", {})
    rc, cl, d = r.get("reconnect", {}), r.get("closed", {}), r.get("database", {})
    return (
        f"{system:5} {generator:6} start→state p50/p95/max {s.get('state', {}).get('p50_ms')}/"
        f"{s.get('state', {}).get('p95_ms')}/{s.get('state', {}).get('max_ms')} ms; "
        f"→first question {s.get('first_question', {}).get('p50_ms')}/"
        f"{s.get('first_question', {}).get('p95_ms')}/{s.get('first_question', {}).get('max_ms')} ms "
        f"(failed {s.get('failed')}); paced ack p99 {p.get('ack', {}).get('p99_ms')} ms at "
        f"{p.get('answers_per_s')}/s; reconnect settled {rc.get('settled_s')} s (not back "
        f"{rc.get('not_back')}); closed loop {cl.get('pairs_per_s')} pairs/s (generator "
        f"{r.get('closed_phase', {}).get('generator_cores')} cores); "
        f"{r.get('server_kb_per_candidate')} KB/candidate; lost {d.get('lost')} of "
        f"{d.get('acked_answers')}, duplicates {d.get('duplicate_answer_rows')}"
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_exam")
    p.add_argument("--candidates", type=int, default=1000)
    p.add_argument("--join-rate", type=float, default=200.0, help="candidates arriving per second")
    p.add_argument("--pace", type=float, default=10.0)
    p.add_argument("--window", type=float, default=20.0)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--message-queue", default="redis://127.0.0.1:6379/0")
    p.add_argument("--generator", choices=["python", "node", "both"], default="python")
    p.add_argument("--no-echo", action="store_true")
    p.add_argument("--no-reconnect", action="store_true")
    p.add_argument("--reconnect-delay", type=float, default=1.0, help="socket.io's reconnectionDelay, s")
    p.add_argument("--closed-loop", type=int, default=100)
    p.add_argument("--ack-timeout", type=float, default=20.0)
    p.add_argument("--start-timeout", type=float, default=30.0)
    p.add_argument(
        "--no-page-syncs",
        action="store_true",
        help="pages do not send `sync` (the page does: after joining, then every 30 s)",
    )
    p.add_argument("--no-deflate", action="store_true", help="clients do not offer permessage-deflate")
    p.add_argument(
        "--compression",
        default="off",
        help="the servers' WEBSOCKET_COMPRESSION: off, stateless, small, large, on",
    )
    p.add_argument(
        "--monitor", action="store_true", help="report event-loop blocks > 0.1 s with their stacks"
    )
    p.add_argument("--gc-thresholds", default="", help="the servers' GC_THRESHOLDS (deploy/gunicorn.conf.py)")
    p.add_argument(
        "--py-spy",
        nargs="?",
        const="all",
        default="",
        help="sample our app's web processes with py-spy (pip install py-spy): the whole run, "
        "or only the phase named (join, waiting, start, paced, reconnect, closed)",
    )
    p.add_argument(
        "--stop-after",
        choices=["waiting", "reconnect", "closed"],
        default="closed",
        help="waiting: only fill the waiting room (memory); reconnect: skip the closed loop",
    )
    p.add_argument("--real-logins", type=int, default=0)
    p.add_argument(
        "--per-band",
        type=int,
        default=5,
        help="items per difficulty band and section: forms of 6 × this many (5: 30 items; 20: 120, a Part A)",
    )
    p.add_argument(
        "--prepare", default="", help="only build the waiting sittings (PostgreSQL), listed in this file"
    )
    p.add_argument("--prepared", default="", help="run on the sittings a --prepare wrote to this file")
    p.add_argument(
        "--max-minutes",
        type=float,
        default=30.0,
        help="the whole run's bound: a run still going then stops with what finished",
    )
    p.add_argument("--out", default="", help="a file of JSON lines: each phase's figures as it ends")
    p.add_argument("--keep-logs", action="store_true", help="keep the servers' logs (and the run's files)")
    args = p.parse_args(argv)
    started = time.monotonic()

    def log(msg):
        print(f"{time.monotonic() - started:7.1f}s {msg}", flush=True)

    soft, _hard = raise_nofile()
    need = args.candidates * (3 if args.workers > 1 else 1) + 200
    if soft < need:
        raise SystemExit(f"ulimit -n {soft} is below {need}: fewer --candidates or raise the limit")
    generators = ["python", "node"] if args.generator == "both" else [args.generator]
    if "node" in generators and not node_available():
        raise SystemExit("the Node generator is not installed: make bench-node (npm ci in bench/node)")
    log(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}")
    if args.prepare:
        prepare_ahead(args, log)
        return 0
    report = {"args": vars(args), "runs": []}
    deadline = started + args.max_minutes * 60
    sink = open(args.out, "a", encoding="utf-8") if args.out else None  # noqa: SIM115

    def emitter(system: str, generator: str):
        """Each phase's figures, printed and appended to --out as soon as the phase ends."""

        def emit(phase: str, data) -> None:
            line = json.dumps(
                {
                    "at": time.strftime("%H:%M:%S", time.gmtime()),
                    "system": system,
                    "generator": generator,
                    "candidates": args.candidates,
                    "workers": args.workers,
                    "database": args.database,
                    "phase": phase,
                    "figures": data,
                    "loadavg": os.getloadavg()[0],
                },
                default=str,
            )
            log(f"PHASE {line}")
            if sink is not None:
                sink.write(line + "\n")
                sink.flush()

        return emit

    tmp = Path(tempfile.mkdtemp(prefix="exam_start_"))
    try:
        for generator in generators:
            built = None
            for system in ["app"] + ([] if args.no_echo else ["echo"]):
                if deadline - time.monotonic() < 90:
                    log("time budget spent: stopping")
                    break
                result, built = one_run(
                    args, generator, system, tmp, log, emitter(system, generator), deadline, built
                )
                result.update(system=system, generator=generator, loadavg=os.getloadavg())
                report["runs"].append(result)
                log(f"[{system}/{generator}] " + json.dumps(result, default=str))
        log("")
        for r in report["runs"]:
            log(summary_line(r["system"], r["generator"], r))
        for generator in generators:
            pair = {r["system"]: r for r in report["runs"] if r["generator"] == generator}
            if pair.get("app", {}).get("closed") and pair.get("echo", {}).get("closed", {}).get(
                "pairs_per_s"
            ):
                ratio = pair["app"]["closed"]["pairs_per_s"] / pair["echo"]["closed"]["pairs_per_s"]
                report[f"closed_loop_ratio_{generator}"] = round(ratio, 3)
                log(f"closed loop, ours ÷ echo ({generator} generator): {ratio:.3f}")
        for r in report["runs"]:
            if r["system"] == "app":
                log(
                    f"LOST: {r['database']['lost']} DUPLICATED: {r['database']['duplicate_answer_rows']} "
                    f"STARTED TWICE: {r['database']['attempts_started_twice']} ({r['generator']})"
                )
            if "monitor" in r:
                log(
                    f"[{r['system']}/{r['generator']}] event-loop blocks > 0.1 s: {r['monitor']['blocks']}, "
                    f"of which {r['monitor']['on_cpu']} on the CPU (the others off it: the system "
                    "ran something else, or a call blocked)"
                )
                log(
                    f"   the garbage collector held the loop > 0.1 s {r['monitor']['collector_holds']} times "
                    f"(longest {r['monitor']['collector_ms_max']:.0f} ms, "
                    f"{r['monitor']['collector_ms_total']:.0f} ms in all; by generation: "
                    f"{r['monitor']['collector_by_generation']})"
                )
                for stack, count in r["monitor"]["on_cpu_stacks"]:
                    log(f"   on the CPU: {count} x {stack}")
                for stack, count in r["monitor"]["stacks"]:
                    log(f"   {count} x {stack}")
        if sink is not None:
            sink.write(json.dumps({"summary": {k: v for k, v in report.items() if k != "runs"}}) + "\n")
    finally:
        if args.keep_logs:
            log(f"the servers' logs are kept in {tmp}")
        else:
            cluster.remove_tree(tmp)
        if sink is not None:
            sink.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
