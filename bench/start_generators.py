"""The two load generators of bench/exam_start.py, each playing the same scenario: the
project's Python client (bench/sioclient.py) in this process, and Node's socket.io-client
(bench/node/loadgen.js) in a process of its own."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.exam_load import ms  # noqa: E402
from bench.sioclient import SimCandidate, SioConnection, Stats  # noqa: E402
from bench.start_readings import Phases, spread  # noqa: E402

NODE_DIR = REPO / "bench" / "node"
LOCALE = "en"  # the candidates' session language (scenario.session_cookie)


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
