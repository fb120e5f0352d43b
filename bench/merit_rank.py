"""Benchmark: rank and store a merit list of N scored candidates (issue: well under 5 s for
100,000 on SQLite and PostgreSQL).

Builds a scratch database (a SQLite file in a temporary folder; with --postgres, also a
PostgreSQL database created on that server and dropped afterwards), seeds one competitive round
with N approved applications and their Part A/B/C scores (bulk inserts), then times, per run:
loading the scores, ranking, storing the entries (making their rows + COPY on PostgreSQL, one
executemany on SQLite, + commit), the whole generate_list service (load + rank + store + audit +
commit), generating the same draft again (its entries deleted and stored anew), and the digest
of the published content. Prints the median (p50) of the runs and rows per second.

    .venv/bin/python bench/merit_rank.py                      # SQLite, N = 100,000
    .venv/bin/python bench/merit_rank.py --n 20000 --runs 5
    .venv/bin/python bench/merit_rank.py \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, delete, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app import create_app
from app.accounts.models import User, UserRole
from app.agencies.models import Agency
from app.applications.models import Application
from app.common.clock import now
from app.extensions import db
from app.merit import digest, generation, ranking
from app.merit.models import MeritEntry, MeritList
from app.recruitment.models import Position, Round, RoundStage
from app.scores.models import StageScore

BATCH = 10_000


def seed(n: int, rng: random.Random) -> tuple[Round, User]:
    agency = Agency(code="BENCH", name_th="สำนักงานทดสอบ", name_en="Bench office")
    db.session.add(agency)
    db.session.flush()
    hr = User(
        email="hr@bench.test",
        password_hash="x",
        first_name_th="เจ้าหน้าที่",
        last_name_th="ทดสอบ",
        agency_id=agency.id,
    )
    hr.roles = [UserRole(role="hr_officer")]
    pos = Position(agency_id=agency.id, title_th="นักวิชาการ", title_en="Officer", level="ปฏิบัติการ")
    db.session.add_all([hr, pos])
    db.session.flush()
    round_ = Round(
        code="BENCH-2569",
        agency_id=agency.id,
        position_id=pos.id,
        mode="competitive_exam",
        status="in_progress",
        title_th="รอบทดสอบสมรรถนะ",
        title_en="Bench round",
        opens_at=now() - timedelta(days=60),
        closes_at=now() - timedelta(days=30),
    )
    for seq, (kind, max_score, ranked) in enumerate(
        [("part_a", 200, False), ("part_b", 200, True), ("part_c", 100, True)], start=1
    ):
        round_.stages.append(
            RoundStage(kind=kind, seq=seq, max_score=Decimal(max_score), counts_for_ranking=ranked)
        )
    db.session.add(round_)
    db.session.commit()

    first_user = db.session.execute(text("SELECT COALESCE(MAX(id), 0) FROM users")).scalar() + 1
    first_app = db.session.execute(text("SELECT COALESCE(MAX(id), 0) FROM applications")).scalar() + 1
    for start in range(0, n, BATCH):
        idx = range(start, min(n, start + BATCH))
        db.session.execute(
            insert(User),
            [
                {
                    "id": first_user + i,
                    "email": f"c{i}@bench.test",
                    "password_hash": "x",
                    "first_name_th": f"ผู้สมัคร{i}",
                    "last_name_th": "ทดสอบ",
                    "first_name_en": f"Candidate{i}",
                    "last_name_en": "Bench",
                }
                for i in idx
            ],
        )
        db.session.execute(
            insert(Application),
            [
                {
                    "id": first_app + i,
                    "number": f"BENCH-2569-{i + 1:05d}",
                    "round_id": round_.id,
                    "candidate_id": first_user + i,
                    "status": "approved",
                    "qualifications": {},
                    "eligibility": [],
                }
                for i in idx
            ],
        )
        rows = []
        for i in idx:
            # Coarse scores (steps of 0.5) so that totals tie often and the chain is exercised.
            for kind, lo, hi in (("part_a", 240, 400), ("part_b", 240, 400), ("part_c", 120, 200)):
                score = Decimal(rng.randint(lo, hi)) / 2
                rows.append(
                    {
                        "application_id": first_app + i,
                        "stage_kind": kind,
                        "score": score,
                        "max_score": Decimal(hi // 2),
                        "passed": True,
                        "source": "import",
                    }
                )
        db.session.execute(insert(StageScore), rows)
    round_.application_seq = n
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # planner statistics, as autovacuum would
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE users, applications, stage_scores"))
    return round_, hr


def clear_lists() -> None:
    """Remove the previous run's list; on PostgreSQL also vacuum, so that each run fills
    clean indexes as a real list would (not ones bloated by the previous runs' rows)."""
    db.session.execute(delete(MeritEntry))
    db.session.execute(delete(MeritList))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE merit_entries, merit_lists"))


class Clock:
    """Wall time and this process's CPU time of each phase. On a busy machine the wall time
    includes waiting for a core; the CPU time is what the phase costs in Python and (for
    SQLite) in the database engine, which runs in-process."""

    def __init__(self):
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._mark = (time.perf_counter(), time.process_time())

    def lap(self, phase: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall[phase] = wall - self._mark[0]
        self.cpu[phase] = cpu - self._mark[1]
        self._mark = (wall, cpu)

    def restart(self) -> None:
        self._mark = (time.perf_counter(), time.process_time())


def one_run(round_: Round, hr: User) -> tuple[Clock, int]:
    clear_lists()
    rules = generation._rules_for(round_, None)
    clock = Clock()
    candidates = generation.load_candidates(round_)
    clock.lap("load")
    ranked = ranking.rank(candidates, rules.parts, rules.tie_break, required=[s.kind for s in round_.stages])
    clock.lap("rank")
    ml = MeritList(
        round_id=round_.id,
        kind="merit",
        track="general",
        version=1,
        title_th="bench",
        ranking_parts=[],
        tie_break=list(rules.tie_break),
        prepared_by_id=hr.id,
    )
    db.session.add(ml)
    db.session.flush()
    generation.store_entries(ml.id, generation.merit_entry_rows(ranked))
    db.session.commit()
    clock.lap("store")
    clear_lists()
    clock.restart()
    ml = generation.generate_list(round_, hr)
    clock.lap("generate_list")
    clock.restart()
    ml = generation.generate_list(round_, hr)  # the draft again: its entries replaced
    clock.lap("regenerate")
    ml.published_at = now()  # a draft is still mutable: digest it as if published
    digest.digest_of(ml)
    clock.lap("digest")
    db.session.rollback()
    return clock, len(ranked)


def _cpu_reference() -> float:
    """Seconds for a fixed pure-Python loop: compare runs on machines of different load."""
    t = time.perf_counter()
    total = 0
    for i in range(2_000_000):
        total += i
    return time.perf_counter() - t


def run(label: str, url: str, n: int, runs: int, seed_value: int) -> None:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        t = time.perf_counter()
        round_, hr = seed(n, random.Random(seed_value))
        print(
            f"[{label}] seeded {n:,} applications with 3 stage scores each in {time.perf_counter() - t:.1f} s"
        )
        results = [one_run(round_, hr) for _i in range(runs)]
        entries = results[0][1]
        print(
            f"[{label}] {entries:,} entries; p50 of {runs} runs (wall = elapsed, cpu = this "
            f"process; reference loop {_cpu_reference():.3f} s, load average "
            f"{os.getloadavg()[0]:.1f}):"
        )
        for phase in ("load", "rank", "store", "generate_list", "regenerate", "digest"):
            wall = statistics.median(c.wall[phase] for c, _n in results)
            cpu = statistics.median(c.cpu[phase] for c, _n in results)
            print(f"  {phase:<14} wall {wall:7.3f} s  cpu {cpu:7.3f} s  {entries / wall:10,.0f} rows/s")
        wall = statistics.median(c.wall["rank"] + c.wall["store"] for c, _n in results)
        cpu = statistics.median(c.cpu["rank"] + c.cpu["store"] for c, _n in results)
        print(f"  {'rank + store':<14} wall {wall:7.3f} s  cpu {cpu:7.3f} s  {entries / wall:10,.0f} rows/s")
        db.session.remove()
        db.engine.dispose()


def drop_database(admin, name: str, attempts: int = 10) -> None:
    """Drop the scratch database, retrying while the server is unreachable (e.g. restarted)."""
    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except OperationalError:
            admin.dispose()
            if attempt == attempts - 1:
                print(f"could not drop the scratch database {name}: drop it by hand", file=sys.stderr)
                raise
            time.sleep(3)
        finally:
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="scored candidates")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2569)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server URL (any database on it); a scratch database "
        "is created there and dropped afterwards",
    )
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()

    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run("sqlite", f"sqlite:///{os.path.join(tmp, 'bench.db')}", args.n, args.runs, args.seed)
    if args.postgres:
        server = make_url(args.postgres)
        name = f"merit_bench_{os.getpid()}"
        admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(
                "postgresql",
                server.set(database=name).render_as_string(hide_password=False),
                args.n,
                args.runs,
                args.seed,
            )
        finally:
            drop_database(admin, name)


if __name__ == "__main__":
    main()
