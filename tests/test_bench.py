"""The benchmarks in bench/ still run end to end, at a tiny size (their figures are not
asserted: docs/performance.md holds the measured ones). Each runs as an operator would run it,
in its own process, on its own scratch SQLite database; the load benchmark also starts the
production server (gunicorn, gevent) and checks every acknowledged answer in the database."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import IS_POSTGRES

ROOT = Path(__file__).resolve().parents[1]

# The benchmarks use SQLite files of their own, whatever database this run uses: once is enough.
pytestmark = pytest.mark.skipif(IS_POSTGRES, reason="runs once, in the SQLite run")


def run_bench(*args: str, timeout: float = 240) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def test_the_load_benchmark_runs_and_loses_no_answer():
    out = run_bench("bench/exam_load.py", "--database", "sqlite", "--levels", "30",
                    "--window", "3", "--pace", "1", "--closed-loop", "0", "--no-echo",
                    "--real-logins", "2", "--max-minutes", "3")
    assert "'real_logins': 2" in out and "'checkin_p50_ms'" in out
    assert "LOST: 0" in out
    assert "KNEE (largest N meeting p99 < target, no errors, no lost answers): 30" in out


def test_the_profile_counts_statements_per_join_and_per_answer():
    out = run_bench("bench/exam_profile.py", "--candidates", "3", "--rounds", "2")
    assert "SQL statements per join" in out and "SQL statements per pair" in out


def test_the_merit_ranking_benchmark_runs():
    out = run_bench("bench/merit_rank.py", "--n", "300", "--runs", "1")
    for phase in ("load", "rank", "store", "generate_list", "regenerate", "digest"):
        assert f"  {phase} " in out
