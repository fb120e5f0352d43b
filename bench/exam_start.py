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
import asyncio
import json
import os
import random
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import cluster, scenario, sioclient  # noqa: E402
from bench.exam_load import Meter, ms, named_pids, prepare_database, raise_nofile, rss_mb  # noqa: E402
from bench.sioclient import SimCandidate, SioConnection, Stats, percentile  # noqa: E402

NODE_DIR = REPO / "bench" / "node"
LOCALE = "en"  # the candidates' session language (scenario.session_cookie)


def spread(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": ms(percentile(values, 50)),
        "p95_ms": ms(percentile(values, 95)),
        "p99_ms": ms(percentile(values, 99)),
        "max_ms": ms(max(values)) if values else None,
    }


class Phases:
    """CPU and memory of the servers and the generator per named phase; the generator's CPU is
    this process's (Python) or read from /proc for the Node process."""

    def __init__(self, server_pids, generator_pid: int | None, database: str, proxy_pids=None, listener=None):
        self.listener = listener  # (told of each phase's begin and end: --py-spy PHASE)
        groups = {"server": server_pids}
        if proxy_pids is not None:  # (nginx, also counted in the server's figures)
            groups["proxy"] = proxy_pids
        if generator_pid is not None:
            groups["node"] = lambda: [generator_pid]
        if database == "postgresql":
            groups["postgres"] = lambda: named_pids("postgres")
        self.meter = Meter(groups)
        self.results: dict[str, dict] = {}
        self.open: str | None = None

    def begin(self, name: str) -> None:
        self.open = name
        self.meter.start()
        if self.listener is not None:
            self.listener.begin(name)

    def end(self, name: str) -> dict:
        usage = self.meter.stop()
        if self.listener is not None:
            self.listener.end(name)
        if "node_cores" in usage:  # the generator is the Node process, not this one
            usage["generator_cores"] = usage.pop("node_cores")
            usage["generator_rss_mb"] = usage.pop("node_rss_mb")
        self.results[name] = usage
        self.open = None
        return usage


# ---- the Python generator ---------------------------------------------------------------


async def python_generator(cfg: dict, phases: Phases, log, emit, out: dict, held: list) -> dict:
    """The scenario with bench/sioclient.py's simulated pages, in this process. Each phase's
    figures go into `out` and to `emit` as soon as the phase ends; `held` gets the simulated
    pages, so a run stopped by its time bound can still close them and check their answers."""
    stats = Stats()
    n = len(cfg["cookies"])
    cands = [
        SimCandidate(
            "127.0.0.1",
            cfg["port"],
            cfg["cookies"][i],
            cfg["sitting_id"],
            cfg["forms"][i],
            stats,
            pace=cfg["pace"],
            rng=random.Random(i),
            ack_timeout=cfg["ack_timeout"],
            deflate=cfg["deflate"],
            page_syncs=cfg["page_syncs"],
        )
        for i in range(n)
    ]
    held.extend(cands)
    sync_stop = asyncio.Event()
    syncing = [asyncio.create_task(c.sync_loop(sync_stop)) for c in cands] if cfg["page_syncs"] else []

    # 2. the waiting room fills up in a ramp
    t0 = time.monotonic()

    async def arrive(i: int, c: SimCandidate):
        await asyncio.sleep(i / cfg["join_rate"])
        await c.ensure_joined(time.monotonic() + 120)

    joined = await asyncio.gather(*(arrive(i, c) for i, c in enumerate(cands)), return_exceptions=True)
    out["join"] = {
        "failed": sum(isinstance(r, BaseException) for r in joined),
        "all_s": round(time.monotonic() - t0, 1),
        **spread(list(stats.connect_s)),
        "errors": dict(stats.errors),
    }
    emit("join", out["join"])
    await asyncio.sleep(2)
    phases.begin("waiting")
    await asyncio.sleep(3)
    out["waiting"] = phases.end("waiting")
    emit("waiting", out["waiting"])
    if cfg["stop_after"] == "waiting":
        return finish(out, cands, syncing, sync_stop)

    # 3. the proctor starts the sitting
    proctor = SioConnection(
        "127.0.0.1", cfg["port"], "/proctor", cfg["proctor_cookie"], deflate=cfg["deflate"]
    )
    await proctor.connect(timeout=30)
    watch = {}
    if cfg["watch"]:  # (the proctor's dashboard is open; the echo has none)
        watch = await proctor.call("watch", {"sitting_id": cfg["sitting_id"]}, timeout=60)
    stats.reset()
    phases.begin("start")
    t_start = time.monotonic()
    ack = await proctor.call("start", {"sitting_id": cfg["sitting_id"]}, timeout=120)
    t_acked = time.monotonic() - t_start

    async def first_screen(c: SimCandidate):
        event = c.arrived.setdefault("started", asyncio.Event())
        await asyncio.wait_for(event.wait(), cfg["start_timeout"])
        state_at = c.first_seen["started"] - t_start
        started = next(p for name, p in reversed(c.events) if name == "started")
        pushed = (started.get("first_question") or {}).get(LOCALE)
        if pushed is not None:
            return state_at, state_at, True
        answer = await c.conn.call("question", {"index": 0}, timeout=cfg["start_timeout"])
        if not answer.get("ok"):
            raise RuntimeError(f"question refused: {answer.get('error')}")
        return state_at, time.monotonic() - t_start, False

    screens = await asyncio.gather(*(first_screen(c) for c in cands), return_exceptions=True)
    out["start_phase"] = phases.end("start")
    done = [r for r in screens if not isinstance(r, BaseException)]
    failures: dict[str, int] = {}
    for r in screens:
        if isinstance(r, BaseException):
            failures[type(r).__name__] = failures.get(type(r).__name__, 0) + 1
    out["start"] = {
        "proctor_watch_rows": len(watch.get("candidates") or []),
        "proctor_ack": bool(ack.get("ok")),
        "proctor_ack_ms": ms(t_acked),
        "state": spread([r[0] for r in done]),
        "first_question": spread([r[1] for r in done]),
        "question_pushed": sum(r[2] for r in done),
        "failed": len(screens) - len(done),
        "failures": failures,
    }
    emit("start", {**out["start"], "usage": out["start_phase"]})
    proctor.abort()

    # 4. paced answering
    stop = asyncio.Event()
    far = time.monotonic() + 3600
    tasks = [asyncio.create_task(c.run(far, give_up=60, stop=stop)) for c in cands]
    await asyncio.sleep(cfg["pace"])  # warm-up: everyone answers once
    stats.reset()
    phases.begin("paced")
    await asyncio.sleep(cfg["window"])
    out["paced_phase"] = phases.end("paced")
    out["paced"] = {
        "answers_per_s": round(len(stats.ack_s) / cfg["window"], 1),
        "ack": spread(list(stats.ack_s)),
        "question": spread(list(stats.question_s)),
        "errors": dict(stats.errors),
    }
    emit("paced", {**out["paced"], "usage": out["paced_phase"]})

    # 5. reconnect storm
    if cfg["reconnect"]:
        for c in cands:
            c.reconnect_delay = cfg["reconnect_delay"]
        stats.reset()
        phases.begin("reconnect")
        t_drop = time.monotonic()
        for c in cands:
            if c.conn is not None:
                c.conn.abort()

        async def back(c: SimCandidate):
            await asyncio.wait_for(c.joined.wait(), cfg["start_timeout"] * 3)
            return time.monotonic() - t_drop

        backs = await asyncio.gather(*(back(c) for c in cands), return_exceptions=True)
        settled = time.monotonic() - t_drop
        out["reconnect_phase"] = phases.end("reconnect")
        good = [b for b in backs if not isinstance(b, BaseException)]
        out["reconnect"] = {
            "settled_s": round(settled, 2),
            "back": spread(good),
            "not_back": len(backs) - len(good),
            "errors": dict(stats.errors),
        }
        emit("reconnect", {**out["reconnect"], "usage": out["reconnect_phase"]})
        for c in cands:
            c.reconnect_delay = 0.0
        await asyncio.sleep(cfg["pace"])

    # 6. closed loop
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 180)
    if cfg["closed_loop"] and cfg["stop_after"] != "reconnect":
        loop_cands = cands[: cfg["closed_loop"]]
        stop = asyncio.Event()
        for c in loop_cands:
            c.pace = 0.0
        tasks = [asyncio.create_task(c.run(far, give_up=60, stop=stop)) for c in loop_cands]
        await asyncio.sleep(3)
        stats.reset()
        phases.begin("closed")
        await asyncio.sleep(cfg["window"])
        out["closed_phase"] = phases.end("closed")
        out["closed"] = {
            "clients": len(loop_cands),
            "pairs_per_s": round(len(stats.ack_s) / cfg["window"], 1),
            "ack": spread(list(stats.ack_s)),
            "errors": dict(stats.errors),
        }
        emit("closed", {**out["closed"], "usage": out["closed_phase"]})
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 180)
    return finish(out, cands, syncing, sync_stop)


def finish(out: dict, cands: list[SimCandidate], syncing=(), sync_stop=None) -> dict:
    if sync_stop is not None:
        sync_stop.set()
    for task in syncing:
        task.cancel()
    out["syncs"] = sum(c.syncs for c in cands)
    for c in cands:
        c.close()
    out["unacked"] = sum(len(c.unacked) for c in cands)
    out["acked"] = [
        [i, index, choice, seq] for i, c in enumerate(cands) for index, (choice, seq) in c.acked.items()
    ]
    return out


# ---- the Node generator ------------------------------------------------------------------


def node_available() -> bool:
    return (NODE_DIR / "node_modules" / "socket.io-client").is_dir() and bool(_node())


def _node() -> str | None:
    for path in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(path) / "node"
        if candidate.exists():
            return str(candidate)
    return None


async def node_generator(cfg: dict, phases_for, log, emit, out: dict, budget_s: float) -> dict:
    """The same scenario by bench/node/loadgen.js (socket.io-client): it prints one JSON line
    per phase boundary (metered here), each phase's figures as it ends ({"part"}: emitted at
    once) and its result last. It stops itself after `budget_s` (then its result says so); it
    is killed 30 s after that if it has not."""
    cfg_file = Path(cfg["tmp"]) / "node-config.json"
    cfg_file.write_text(json.dumps({**{k: v for k, v in cfg.items() if k != "tmp"}, "budget_s": budget_s}))
    proc = await asyncio.create_subprocess_exec(
        _node(),
        "--max-old-space-size=4096",
        str(NODE_DIR / "loadgen.js"),
        str(cfg_file),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=64 * 1024 * 1024,
    )
    phases = phases_for(proc.pid)
    result = None
    kill_at = time.monotonic() + budget_s + 30
    try:
        while True:
            try:
                line = await asyncio.wait_for(proc.stdout.readline(), max(1.0, kill_at - time.monotonic()))
            except TimeoutError:
                log("[node] past its time bound: killed")
                break
            if not line:
                break
            msg = json.loads(line)
            if "phase" in msg:
                if msg["at"] == "begin":
                    phases.begin(msg["phase"])
                else:
                    usage = phases.end(msg["phase"])
                    if msg["phase"] == "waiting":
                        emit("waiting", usage)
            elif "part" in msg:
                name, data = msg["part"], msg["data"]
                out[name] = data
                emit(name, {**data, "usage": phases.results.get(name)})
            elif "log" in msg:
                log(f"[node] {msg['log']}")
            elif "result" in msg:
                result = msg["result"]
        if result is not None:
            await asyncio.wait_for(proc.wait(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    if result is None:
        err = (await proc.stderr.read()).decode(errors="replace")
        log(f"the Node generator gave no result (exit {proc.returncode}):\n{err[-3000:]}")
        result = {**out, "stopped": "no result from the Node generator"}
    for name, usage in phases.results.items():
        result[f"{name}_phase"] = usage
    result["waiting"] = phases.results.get("waiting", {})
    return result


# ---- checking the database ---------------------------------------------------------------


def check_database(app, built, acked_rows: list) -> dict:
    from sqlalchemy import func, select

    from app.audit.models import AuditEntry
    from app.exams.models import AttemptAnswer
    from app.extensions import db

    acked = {}
    for i, index, choice, seq in acked_rows:
        key = (built.candidates[i].attempt_id, index)
        if key not in acked or acked[key][1] <= seq:
            acked[key] = (choice, seq)
    with app.app_context():
        lost = scenario.lost_answers(acked)
        ids = [c.attempt_id for c in built.candidates]
        rows = db.session.execute(
            select(AttemptAnswer.attempt_id, AttemptAnswer.index, func.count())
            .where(AttemptAnswer.attempt_id.in_(ids))
            .group_by(AttemptAnswer.attempt_id, AttemptAnswer.index)
            .having(func.count() > 1)
        ).all()
        starts = db.session.execute(
            select(AuditEntry.object_id, func.count())
            .where(AuditEntry.action == "attempt.start")
            .group_by(AuditEntry.object_id)
            .having(func.count() > 1)
        ).all()
        started = db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "attempt.start")
        )
        db.session.remove()
    return {
        "acked_answers": len(acked),
        "lost": len(lost),
        "lost_examples": [str(x) for x in lost[:5]],
        "duplicate_answer_rows": len(rows),
        "attempts_started": started,
        "attempts_started_twice": len(starts),
    }


# ---- the event loop's blocks (--monitor) ---------------------------------------------------


def blocks_in(log_dir: Path) -> dict:
    """The loop monitor's reports in the web processes' logs (app/common/loop_monitor.py): how
    many, and for each the blocked stack: its innermost frames of our code (app/, bench/) and
    the innermost frame of all, where it blocked."""
    reports, on_cpu = [], []
    for log in sorted(log_dir.glob("w*.log")):
        for chunk in log.read_text(errors="replace").split("event loop blocked for")[1:]:
            cpu = re.search(r"(\d+) ms of it on the CPU", chunk[:200])
            stack = chunk.split("the blocking stack:", 1)[-1].split("\n\n", 1)[0]
            frames = [
                (str(Path(f).relative_to(REPO)) if f.startswith(str(REPO)) else Path(f).name, n, fn)
                for f, n, fn in re.findall(r'File "([^"]+)", line (\d+), in (\S+)', stack)
            ]
            ours = [f"{f}:{n} {fn}" for f, n, fn in frames if f.startswith(("app/", "bench/"))]
            inner = [f"{f}:{n} {fn}" for f, n, fn in frames[-1:]]
            reports.append(ours[-4:] + [x for x in inner if x not in ours])
            # (held the CPU for at least half the limit: computed, not left waiting by the system)
            if cpu and int(cpu.group(1)) >= 50:
                on_cpu.append(reports[-1])

    def counted(stacks) -> list:
        counts: dict[str, int] = {}
        for stack in stacks:
            key = " <- ".join(reversed(stack))
            counts[key] = counts.get(key, 0) + 1
        return sorted(counts.items(), key=lambda kv: -kv[1])[:15]

    held = [
        (float(ms_), generation, int(freed))
        for log in sorted(log_dir.glob("w*.log"))
        for ms_, generation, freed in re.findall(
            r"event loop held (\d+) ms by the garbage collector \(generation (\d+), (\d+) collected\)",
            log.read_text(errors="replace"),
        )
    ]
    collections = [h[0] for h in held]
    by_generation: dict[str, dict] = {}
    for ms_, generation, freed in held:
        g = by_generation.setdefault(generation, {"holds": 0, "ms_max": 0.0, "ms_total": 0.0, "freed": 0})
        g.update(holds=g["holds"] + 1, ms_max=max(g["ms_max"], ms_), ms_total=g["ms_total"] + ms_)
        g["freed"] += freed
    return {
        "blocks": len(reports),
        "on_cpu": len(on_cpu),
        "collector_holds": len(collections),
        "collector_ms_max": max(collections, default=0),
        "collector_ms_total": sum(collections),
        "collector_by_generation": by_generation,
        "stacks": counted(reports),
        "on_cpu_stacks": counted(on_cpu),
    }


# ---- py-spy: where the web processes spend their time under load -------------------------------


def _py_spy() -> str | None:
    found = Path(sys.executable).parent / "py-spy"
    return str(found) if found.exists() else None


class PhaseSampler:
    """py-spy over the whole run (--py-spy) or over one phase (--py-spy paced): started and
    stopped by the phases' boundaries."""

    def __init__(self, workers: list[int], tmp: Path, phase: str):
        self.workers, self.tmp, self.phase = workers, tmp, phase
        self.sampler = Sampler(workers, tmp) if phase == "all" else None

    def begin(self, name: str) -> None:
        if name == self.phase and self.sampler is None:
            self.sampler = Sampler(self.workers, self.tmp)

    def end(self, name: str) -> None:
        if name == self.phase and self.sampler is not None:
            self.sampler.stop()

    def stop(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()

    def summary(self) -> dict:
        return {"phase": self.phase, **(self.sampler.summary() if self.sampler is not None else {})}


class Sampler:
    """py-spy sampling every gunicorn worker of the run (--py-spy; `pip install py-spy`, a bench
    tool, not a dependency) from the start to the end of the scenario; `summary()` counts, over
    all samples, the share in which each of our functions (app/) is on the stack, and the
    innermost frames where the time is spent."""

    def __init__(self, pids: list[int], tmp: Path, rate: int = 50):
        import subprocess

        # (kept after the run, which removes its own files: the last run's raw stacks)
        kept = Path(tempfile.gettempdir()) / "exam_start_py_spy"
        kept.mkdir(exist_ok=True)
        self.files = [kept / f"py-spy-{pid}.txt" for pid in pids]
        self.procs = [
            subprocess.Popen(
                [
                    _py_spy(),
                    "record",
                    "-p",
                    str(pid),
                    "-r",
                    str(rate),
                    "--format",
                    "raw",
                    "-o",
                    str(f),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid, f in zip(pids, self.files, strict=True)
        ]

    def stop(self) -> None:
        import signal as _signal

        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(_signal.SIGINT)  # (py-spy writes its file when interrupted)
        for proc in self.procs:
            try:
                proc.wait(30)
            except Exception:
                proc.kill()

    @staticmethod
    def name(frame: str) -> str:
        """ "join (app/exams/joining.py:95)" -> "join app/exams/joining.py"."""
        func, _, where = frame.partition(" (")
        path = where.rsplit(":", 1)[0]
        if "/app/" in path:
            path = "app/" + path.rsplit("/app/", 1)[1]
        return f"{func} {path}"

    def summary(self, top: int = 15) -> dict:
        total, ours, inner = 0, {}, {}
        for f in self.files:
            if not f.exists():
                continue
            for line in f.read_text(errors="replace").splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                n = int(count)
                total += n
                frames = stack.split(";")
                seen = set()
                for frame in frames:
                    name = self.name(frame)
                    if name.split(" ", 1)[-1].startswith("app/") and name not in seen:
                        seen.add(name)
                        ours[name] = ours.get(name, 0) + n
                leaf = self.name(frames[-1])
                inner[leaf] = inner.get(leaf, 0) + n

        def share(d):
            return [
                (k, round(100 * v / max(total, 1), 1))
                for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]
            ]

        return {"samples": total, "ours_inclusive_pct": share(ours), "innermost_pct": share(inner)}


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


async def bounded_python(cfg: dict, phases: Phases, log, emit, budget_s: float) -> dict:
    """The Python generator's scenario, stopped when `budget_s` is spent: what finished by
    then has been emitted; the pages are closed and their acknowledged answers kept."""
    out: dict = {}
    held: list[SimCandidate] = []
    try:
        return await asyncio.wait_for(python_generator(cfg, phases, log, emit, out, held), budget_s)
    except TimeoutError:
        log(f"time bound reached ({budget_s:.0f} s): stopping this run with what finished")
        if phases.open:
            phases.end(phases.open)
        out["stopped"] = "time bound"
        return finish(out, held)


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
