"""The benchmarks in bench/ still run end to end, at a tiny size (their figures are not
asserted: docs/performance.md holds the measured ones). Each runs as an operator would run it,
in its own process, on its own scratch SQLite database; the load benchmark also starts the
production server (gunicorn, gevent) and checks every acknowledged answer in the database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.database import IS_POSTGRES

ROOT = Path(__file__).resolve().parents[2]

# The benchmarks use SQLite files of their own, whatever database this run uses: once is enough.
pytestmark = pytest.mark.skipif(IS_POSTGRES, reason="runs once, in the SQLite run")


def run_bench(*args: str, timeout: float = 240) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


# Acknowledgement outcomes a loaded machine may produce without anything being wrong: the
# simulated page re-joins and re-sends, as the real one does. Any other code is a refusal.
TRANSIENT = {"TimeoutError", "Disconnected", "OSError", "retry"}


def test_the_load_benchmark_runs_and_loses_no_answer(tmp_path):
    """Behaviour, not speed: every answer the server acknowledged is in the database, and it
    refused none. Latency and throughput (the "ok" column, the knee) depend on the machine's
    load and are left to docs/performance.md."""
    report_file = tmp_path / "report.json"
    out = run_bench(
        "bench/exam_load.py",
        "--database",
        "sqlite",
        "--levels",
        "30",
        "--window",
        "3",
        "--pace",
        "1",
        "--closed-loop",
        "0",
        "--no-echo",
        "--real-logins",
        "2",
        "--max-minutes",
        "3",
        "--out",
        str(report_file),
    )
    report = json.loads(report_file.read_text())
    assert report["logins"]["real_logins"] == 2, out[-2000:]
    app = report["app"]
    assert [level["candidates"] for level in app["levels"]] == [30], out[-2000:]
    level = app["levels"][0]
    assert level["added"] == 30 and level["connect_failed"] == 0, level
    refusals = {
        k: n for k, n in level["error_kinds"].items() if k not in TRANSIENT and not k.startswith("connect:")
    }
    assert refusals == {}, level
    assert app["acked_answers"] > 0, out[-2000:]
    assert app["lost"] == 0 and app["lost_examples"] == [], app["lost_examples"]
    assert "LOST: 0" in out


def test_the_profile_counts_statements_per_join_and_per_answer():
    out = run_bench("bench/exam_profile.py", "--candidates", "3", "--rounds", "2", "--json")
    figures = json.loads(out.strip().splitlines()[-1])
    ops = figures["ops"]
    for name in (
        "join (waiting room)",
        "sync (waiting room)",
        "the start, per candidate",
        "question + answer",
    ):
        assert ops[name]["cpu_ms"] > 0 and ops[name]["ratio"] > 0, (name, ops[name])
    # the statements the hot path promises (docs/realtime.md, docs/performance.md); a short run
    # still reads some item texts into its cache, and the waiting room's sitting once a second
    # (the join: one read of its attempt, answers and the account's session token; one UPDATE)
    assert ops["join (waiting room)"]["statements"] == 2, ops
    assert ops["question + answer"]["statements"] <= 3 and ops["sync (waiting room)"]["statements"] < 1, ops


def test_the_merit_ranking_benchmark_runs():
    out = run_bench("bench/merit_rank.py", "--n", "300", "--runs", "1")
    for phase in ("load", "rank", "store", "generate_list", "regenerate", "digest"):
        assert f"  {phase} " in out


def _start_storm(tmp_path, generator: str) -> dict:
    report_file = tmp_path / f"start-{generator}.json"
    out = run_bench(
        "bench/exam_start.py",
        "--database",
        "sqlite",
        "--candidates",
        "12",
        "--join-rate",
        "20",
        "--pace",
        "1",
        "--window",
        "2",
        "--closed-loop",
        "4",
        "--reconnect-delay",
        "0.2",
        "--no-echo",
        "--generator",
        generator,
        "--max-minutes",
        "4",
        "--out",
        str(report_file),
        timeout=300,
    )
    # --out: one JSON line per phase, written as each phase ends
    lines = [json.loads(line) for line in report_file.read_text().splitlines()]
    run = {line["phase"]: line["figures"] for line in lines if line.get("system") == "app"}
    assert all(line["generator"] == generator for line in lines if "phase" in line)
    assert "LOST: 0 DUPLICATED: 0 STARTED TWICE: 0" in out, out[-2000:]
    assert "PHASE {" in out  # (each phase printed as it ended, too)
    return run


def _assert_the_storm_behaved(run: dict) -> None:
    """Every page joined the waiting room, got the start with its first question, answered,
    came back after the reconnect storm; the database lost and doubled nothing."""
    assert run["join"]["failed"] == 0 and run["join"]["n"] == 12, run["join"]
    start = run["start"]
    assert start["proctor_ack"] and start["proctor_watch_rows"] == 12, start
    assert start["failed"] == 0 and start["question_pushed"] == 12, start
    assert run["paced"]["ack"]["n"] > 0 and run["closed"]["pairs_per_s"] > 0, run
    refusals = {
        k: n
        for phase in ("paced", "closed")
        for k, n in run[phase]["errors"].items()
        if k not in TRANSIENT and not k.startswith("connect")
    }
    assert refusals == {}, refusals
    assert run["reconnect"]["not_back"] == 0, run["reconnect"]
    db = run["database"]
    assert db["acked_answers"] > 0 and db["lost"] == 0 and db["duplicate_answer_rows"] == 0, db
    assert db["attempts_started"] == 12 and db["attempts_started_twice"] == 0, db


def test_the_start_storm_benchmark_runs_and_loses_no_answer(tmp_path):
    _assert_the_storm_behaved(_start_storm(tmp_path, "python"))


def _node_generator_ready() -> bool:
    """Node and npm on the PATH; bench/node's modules installed now if they are missing (the
    Makefile's `bench-node`, from the committed lock file)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return False
    node_dir = ROOT / "bench" / "node"
    if not (node_dir / "node_modules" / "socket.io-client").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=node_dir, check=True, timeout=240)
    return True


def test_the_node_generator_runs_the_same_scenario(tmp_path):
    if not _node_generator_ready():
        pytest.skip("node is not installed (CI has it)")
    _assert_the_storm_behaved(_start_storm(tmp_path, "node"))


def test_the_outputs_benchmark_times_the_pdf_and_the_xlsx():
    out = run_bench("bench/merit_outputs.py", "--n", "300", "--runs", "1")
    assert "pdf: slowest run" in out and "xlsx: slowest run" in out
