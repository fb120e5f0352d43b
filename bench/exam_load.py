"""Load benchmark of the online test (issue 6): N simulated candidates over real websockets.

    .venv/bin/python bench/exam_load.py --database sqlite
    .venv/bin/python bench/exam_load.py --database postgresql \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_exam

What it does, all on loopback, bounded in time and count, stopping by itself:
1. Builds a started sitting with max(levels) checked-in candidates in a fresh database (SQLite
   file in a temporary folder, or the given PostgreSQL database, whose schema it DROPS: its
   name must start with "bench" or "test").
2. Serves the app as production does (deploy/gunicorn.conf.py: gunicorn, one gevent worker per
   process; FLASK_CONFIG=production), --workers processes, nginx with the shipped sticky
   configuration in front when there are several, Redis as the message queue then.
3. A few candidates log in and check in over HTTP (--real-logins, CSRF included: the check-in
   form's identity check, rules and system-check fields) and their login and check-in times
   are reported; the others use session cookies minted with the same secret and seats checked
   in when the sitting was built (argon2id makes every login ~50-100 ms of server CPU on
   purpose: thousands of them would measure the hash).
4. Ramps the number of connected candidates through --levels. At each level every candidate
   fetches a question and answers it every --pace seconds (staggered), over its own websocket
   (bench/sioclient.py: a light asyncio Socket.IO client; the generator's own CPU is reported).
   After a warm-up of one pace it measures for --window seconds: connect+join time of the
   candidates added, answer-ack latency p50/p95/p99/max, question latency, answers/s, errors,
   CPU and memory of the server, the generator and PostgreSQL. The ramp stops at the first
   level that misses a target (p99 ack < --p99-ms, no errors).
5. Closed loop: --closed-loop candidates answer as fast as acks come back, for --window seconds:
   the capacity of one process.
6. Stops every candidate, lets each re-send what is unacknowledged, and checks EVERY
   acknowledged answer in the database: LOST answers are those the database does not hold.
7. Runs steps 2, 4 and 5 again against bench/echo_app.py (a bare Flask-SocketIO handler, same
   gunicorn settings, same message queue) and prints our answers/s ÷ echo answers/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import cluster, scenario, sioclient  # noqa: E402
from bench.sioclient import SimCandidate, Stats, percentile  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


# ---- measuring processes -----------------------------------------------------------------


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / TICK
        except (OSError, IndexError):
            pass
    return found


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings; a process born in between counts whole, one that ended
    in between is missed (PostgreSQL backends of reconnecting clients: a small undercount)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def named_pids(name: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                    found.append(int(pid))
            except OSError:
                pass
    return found


def machine_busy() -> tuple[float, float]:
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) / TICK, (sum(parts) - idle) / TICK


class Meter:
    """CPU (cores used) and memory over a window, per group of processes."""

    def __init__(self, groups: dict[str, callable]):
        self.groups = groups

    def start(self):
        self.t0 = time.monotonic()
        self.self0 = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu0 = {k: cpu_by_pid(f()) for k, f in self.groups.items()}
        self.machine0 = machine_busy()

    def stop(self) -> dict:
        wall = time.monotonic() - self.t0
        me = resource.getrusage(resource.RUSAGE_SELF)
        out = {
            "generator_cores": round(
                (me.ru_utime + me.ru_stime - self.self0.ru_utime - self.self0.ru_stime) / wall, 3
            ),
            "generator_rss_mb": round(rss_mb([os.getpid()]), 1),
        }
        for k, f in self.groups.items():
            pids = f()
            out[f"{k}_cores"] = round(cpu_delta(self.cpu0[k], cpu_by_pid(pids)) / wall, 3)
            out[f"{k}_rss_mb"] = round(rss_mb(pids), 1)
        total1, busy1 = machine_busy()
        total0, busy0 = self.machine0
        out["machine_busy_cores"] = round((busy1 - busy0) / max(total1 - total0, 1e-9) * os.cpu_count(), 2)
        out["loadavg"] = os.getloadavg()[0]
        return out


def ms(v: float) -> float:
    return round(v * 1000, 1)


def raise_nofile() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


# ---- one system under load ---------------------------------------------------------------


class Run:
    def __init__(
        self, args, system: str, port: int, seated, sitting_id: int, cookies: list[str], server_pids
    ):
        self.args, self.system, self.port = args, system, port
        self.seated, self.sitting_id, self.cookies = seated, sitting_id, cookies
        self.stats = Stats()
        self.cands: list[SimCandidate] = []
        self.tasks: list[asyncio.Task] = []
        self.stop = asyncio.Event()
        groups = {"server": server_pids}
        if args.database == "postgresql" and system == "app":
            groups["postgres"] = lambda: named_pids("postgres")
        self.meter = Meter(groups)
        self.rng = random.Random(7)

    async def grow(self, n: int) -> dict:
        """Connect candidates up to n (each connects, joins and starts answering)."""
        self.stats.reset()
        new = []
        gate = asyncio.Semaphore(self.args.connect_concurrency)
        for i in range(len(self.cands), n):
            c = SimCandidate(
                "127.0.0.1",
                self.port,
                self.cookies[i],
                self.sitting_id,
                self.seated[i].choices,
                self.stats,
                pace=self.args.pace,
                rng=random.Random(i),
                ack_timeout=self.args.ack_timeout,
            )
            new.append(c)
        t0 = time.monotonic()

        async def connect(c):
            async with gate:
                await c.ensure_joined(time.monotonic() + 60)

        results = await asyncio.gather(*(connect(c) for c in new), return_exceptions=True)
        failed = sum(isinstance(r, BaseException) for r in results)
        elapsed = time.monotonic() - t0
        far = time.monotonic() + 3600
        for c in new:
            self.cands.append(c)
            self.tasks.append(asyncio.create_task(c.run(far, give_up=30, stop=self.stop)))
        connect_s = list(self.stats.connect_s)
        return {
            "added": len(new),
            "connect_failed": failed,
            "connect_all_s": round(elapsed, 1),
            "connect_p50_ms": ms(percentile(connect_s, 50)),
            "connect_p95_ms": ms(percentile(connect_s, 95)),
            "connect_max_ms": ms(max(connect_s) if connect_s else float("nan")),
        }

    async def measure(self, window: float) -> dict:
        self.stats.reset()
        self.meter.start()
        await asyncio.sleep(window)
        usage = self.meter.stop()
        s = self.stats
        acks, qs = list(s.ack_s), list(s.question_s)
        return {
            "answers": len(acks),
            "answers_per_s": round(len(acks) / window, 1),
            "ack_p50_ms": ms(percentile(acks, 50)),
            "ack_p95_ms": ms(percentile(acks, 95)),
            "ack_p99_ms": ms(percentile(acks, 99)),
            "ack_max_ms": ms(max(acks) if acks else float("nan")),
            "question_p99_ms": ms(percentile(qs, 99)),
            "errors": sum(s.errors.values()),
            "error_kinds": dict(s.errors),
            "reconnects": s.reconnects,
            **usage,
        }

    async def level(self, n: int) -> dict:
        grown = await self.grow(n)
        await asyncio.sleep(self.args.pace)  # warm-up: every candidate answers once
        row = {"system": self.system, "candidates": n, **grown, **await self.measure(self.args.window)}
        row["ok"] = (
            row["ack_p99_ms"] < self.args.p99_ms
            and row["errors"] == 0
            and row["connect_failed"] == 0
            and row["answers_per_s"] >= 0.9 * n / self.args.pace
        )
        return row

    async def closed_loop(self, n: int) -> dict:
        """The first n candidates answer back to back (question + answer), the rest stop."""
        await self.halt()
        self.stop = asyncio.Event()
        for c in self.cands[:n]:
            c.pace = 0.0
        far = time.monotonic() + 3600
        self.tasks = [asyncio.create_task(c.run(far, give_up=30, stop=self.stop)) for c in self.cands[:n]]
        await asyncio.sleep(3)
        row = {"system": self.system, "closed_loop_clients": n, **await self.measure(self.args.window)}
        return row

    async def halt(self):
        self.stop.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), 120)
        self.tasks = []

    async def close(self):
        await self.halt()
        for c in self.cands:
            c.close()
        await asyncio.sleep(0.1)

    def acked(self) -> dict:
        return {
            (self.seated[i].attempt_id, index): v
            for i, c in enumerate(self.cands)
            for index, v in c.acked.items()
        }

    def unsettled(self) -> int:
        return sum(len(c.unacked) for c in self.cands)


async def ramp(run: Run, levels: list[int], deadline: float, log) -> list[dict]:
    rows = []
    for n in levels:
        if time.monotonic() > deadline:
            log(f"[{run.system}] time budget spent: stopping the ramp before {n}")
            break
        row = await run.level(n)
        rows.append(row)
        log(f"[{run.system}] " + json.dumps(row))
        if not row["ok"]:
            break
    return rows


# ---- the whole benchmark ------------------------------------------------------------------


def prepare_database(args, tmp: Path, n: int, start: bool = True):
    from sqlalchemy import select, text

    from app import create_app
    from app.accounts.models import User
    from app.extensions import db

    if args.database == "postgresql":
        url = args.database_url
        name = url.rsplit("/", 1)[-1]
        if not name.startswith(("bench", "test")):
            raise SystemExit(
                "--database-url must name a database starting with 'bench' or 'test': its schema is dropped"
            )
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    secret = secrets.token_urlsafe(32)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret})
    with app.app_context():
        if args.database == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        built = scenario.build(n, duration_minutes=240, start=start, per_band=getattr(args, "per_band", 5))
        cookies = [scenario.session_cookie(app, c.user_id) for c in built.candidates]
        sampled = [c.user_id for c in built.candidates[: getattr(args, "real_logins", 0)]]
        id_digits = (
            {
                uid: national_id[-4:]
                for uid, national_id in db.session.execute(
                    select(User.id, User.national_id).where(User.id.in_(sampled))
                )
            }
            if sampled
            else {}
        )
        db.session.remove()
    return app, url, secret, built, cookies, id_digits


def start_servers(args, url: str, secret: str, tmp: Path, app_module: str) -> cluster.Cluster:
    queue = args.message_queue if args.workers > 1 else ""
    extra = {
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "WORKER_CONNECTIONS": "20000",
        # production refuses to start without them (config.ProductionConfig.check)
        "PUBLIC_BASE_URL": "https://bench.invalid",
        "TRUSTED_HOSTS": "recruit.example.go.th,127.0.0.1,localhost",
    }
    if args.db_pool_size:
        extra.update(DB_POOL_SIZE=str(args.db_pool_size))
    c = cluster.Cluster(
        url,
        tmp,
        workers=args.workers,
        nginx=args.workers > 1,
        message_queue=queue,
        channel=f"bench-{secrets.token_hex(4)}",
        config="production",
        secret=secret,
        app=app_module,
        extra_env=extra,
    )
    return c.__enter__()


def real_logins(args, port: int, built, cookies: list[str], id_digits: dict[int, str]) -> dict:
    """The first --real-logins candidates log in and check in over HTTP as a browser does
    (the forms' CSRF tokens, argon2id, identity check, rules, the system-check fields): the
    check-in page confirms their seats again (checking in twice is allowed) and their answers
    then go to the attempts the sitting was built with."""
    logins, checkins = [], []
    for i, c in enumerate(built.candidates[: args.real_logins]):
        jar: dict = {}
        t0 = time.perf_counter()
        cookies[i] = cluster.http_login(port, c.email, scenario.PASSWORD, jar)
        t1 = time.perf_counter()
        status = cluster.http_form(
            port,
            f"/exams/sittings/{built.sitting_id}/check-in",
            {
                "national_id_last4": id_digits[c.user_id],
                "birth_date": scenario.BIRTH.isoformat(),
                "accept_rules": "y",
                "websocket_ok": "1",
                "rtt_ms": "1",
                "clock_offset_ms": "0",
            },
            jar,
        )
        if status != 302:
            raise RuntimeError(f"check-in of {c.email} answered {status}")
        cookies[i] = "; ".join(f"{k}={v}" for k, v in jar.items())
        logins.append(t1 - t0)
        checkins.append(time.perf_counter() - t1)
    return {
        "real_logins": len(logins),
        "login_p50_ms": ms(percentile(logins, 50)),
        "login_max_ms": ms(max(logins)) if logins else None,
        "checkin_p50_ms": ms(percentile(checkins, 50)),
        "checkin_max_ms": ms(max(checkins)) if checkins else None,
    }


async def bench_system(
    args, system: str, servers: cluster.Cluster, built, cookies, deadline: float, log
) -> dict:
    procs = list(servers.webs.values()) + [p for p in servers.procs if p.name == "nginx"]

    def pids():  # the web processes (gunicorn master and worker) and nginx, if any
        return [pid for proc in procs for pid in proc.pids()]

    if servers.nginx_port:  # each browser keeps its route cookie: spread over the processes
        cookies = [f"{c}; bma_route=c{i}" for i, c in enumerate(cookies)]
    run = Run(args, system, servers.front, built.candidates, built.sitting_id, cookies, pids)
    result = {"system": system}
    try:
        result["levels"] = await ramp(run, args.levels, deadline, log)
        if args.closed_loop:
            result["closed_loop"] = await run.closed_loop(min(args.closed_loop, len(run.cands)))
            log(f"[{system}] closed loop " + json.dumps(result["closed_loop"]))
    finally:
        await run.close()
    result["unsettled"] = run.unsettled()
    result["acked"] = run.acked()
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_exam")
    p.add_argument("--levels", default="100,200,500,1000,2000,3000")
    p.add_argument("--pace", type=float, default=10.0, help="seconds between a candidate's answers")
    p.add_argument("--window", type=float, default=30.0, help="measured seconds per level")
    p.add_argument("--p99-ms", type=float, default=250.0)
    p.add_argument("--workers", type=int, default=1, help="gunicorn processes (nginx if > 1)")
    p.add_argument("--message-queue", default="redis://127.0.0.1:6379/0")
    p.add_argument("--db-pool-size", type=int, default=0)
    p.add_argument(
        "--closed-loop", type=int, default=100, help="clients for the closed-loop capacity run (0: skip)"
    )
    p.add_argument("--no-echo", action="store_true", help="skip the bare echo baseline")
    p.add_argument("--real-logins", type=int, default=20)
    p.add_argument("--connect-concurrency", type=int, default=100)
    p.add_argument("--ack-timeout", type=float, default=10.0)
    p.add_argument("--max-minutes", type=float, default=25.0, help="whole-run time budget")
    p.add_argument("--out", default="", help="write the results as JSON here")
    args = p.parse_args(argv)
    args.levels = [int(x) for x in args.levels.split(",")]
    started = time.monotonic()
    deadline = started + args.max_minutes * 60
    if args.workers > 1 and not cluster.nginx_available():
        raise SystemExit(f"--workers > 1 needs nginx at {cluster.NGINX}")

    def log(msg):
        print(f"{time.monotonic() - started:7.1f}s {msg}", flush=True)

    soft, hard = raise_nofile()
    need = max(args.levels) * (3 if args.workers > 1 else 1) + 200
    log(f"open files limit {soft} (hard {hard}); this run needs about {need}")
    if soft < need:
        raise SystemExit(f"ulimit -n {soft} is below {need}: lower --levels or raise the limit")
    log(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}")

    tmp = Path(tempfile.mkdtemp(prefix="exam_load_"))
    report = {"args": dict(vars(args)), "ulimit_n": soft}
    try:
        t0 = time.monotonic()
        app, url, secret, built, cookies, id_digits = prepare_database(args, tmp, max(args.levels))
        log(
            f"built a sitting of {len(built.candidates)} checked-in candidates in "
            f"{time.monotonic() - t0:.0f}s on {args.database}"
        )
        servers = start_servers(args, url, secret, tmp / "app", "wsgi:app")
        try:
            report["logins"] = real_logins(args, servers.front, built, cookies, id_digits)
            log(f"logins and check-ins over HTTP: {report['logins']}")
            result = sioclient.run(bench_system(args, "app", servers, built, cookies, deadline, log))
        finally:
            servers.close()
        acked = result.pop("acked")
        with app.app_context():
            lost = scenario.lost_answers(acked)
        result.update(acked_answers=len(acked), lost=len(lost), lost_examples=lost[:5])
        log(
            f"[app] acknowledged answers checked in the database: {len(acked)}, LOST: "
            f"{len(lost)}, still unacknowledged at the end: {result['unsettled']}"
        )
        report["app"] = result
        if not args.no_echo:
            echo_servers = start_servers(args, url, secret, tmp / "echo", "bench.echo_app:app")
            # the same levels as ours (up to the one that failed), then the same closed loop
            args.levels = [r["candidates"] for r in result["levels"]] or args.levels
            try:
                echo = sioclient.run(
                    bench_system(args, "echo", echo_servers, built, cookies, deadline + 600, log)
                )
            finally:
                echo_servers.close()
            echo.pop("acked")
            report["echo"] = echo
        summarize(report, log)
    finally:
        cluster.remove_tree(tmp)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2, default=str))
    return 0


def summarize(report: dict, log) -> None:
    app = report["app"]
    ok_levels = [r["candidates"] for r in app["levels"] if r["ok"]]
    knee = max(ok_levels) if ok_levels and app["lost"] == 0 else 0
    report["knee"] = knee
    log("")
    log("candidates  ans/s  ack p50/p95/p99/max ms  errors  server cores  generator cores  ok")
    for r in app["levels"]:
        log(
            f"{r['candidates']:>10} {r['answers_per_s']:>6} "
            f"{r['ack_p50_ms']:>6}/{r['ack_p95_ms']}/{r['ack_p99_ms']}/{r['ack_max_ms']}"
            f"{r['errors']:>8} {r['server_cores']:>13} {r['generator_cores']:>16}  {r['ok']}"
        )
    log(f"KNEE (largest N meeting p99 < target, no errors, no lost answers): {knee}")
    log(f"lost answers: {app['lost']} of {app['acked_answers']} acknowledged")
    echo = report.get("echo")
    if echo:
        ratios = []
        for a, e in zip(app["levels"], echo["levels"]):
            ratios.append((a["candidates"], round(a["answers_per_s"] / max(e["answers_per_s"], 1e-9), 3)))
        report["paced_ratio"] = ratios
        log(f"paced load, our answers/s ÷ echo answers/s per level: {ratios}")
        if "closed_loop" in app and "closed_loop" in echo:
            ratio = app["closed_loop"]["answers_per_s"] / max(echo["closed_loop"]["answers_per_s"], 1e-9)
            report["capacity_ratio"] = round(ratio, 3)
            log(
                f"closed loop ({app['closed_loop']['closed_loop_clients']} clients): ours "
                f"{app['closed_loop']['answers_per_s']}/s vs echo "
                f"{echo['closed_loop']['answers_per_s']}/s: ratio {ratio:.3f}"
            )
        echo_ok = [r["candidates"] for r in echo["levels"] if r["ok"]]
        log(f"echo knee: {max(echo_ok) if echo_ok else 0}")


if __name__ == "__main__":
    raise SystemExit(main())
