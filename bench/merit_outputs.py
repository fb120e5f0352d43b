"""Benchmark: the official outputs of a published list of N entries (issue 20: the announcement
PDF of 10,000 entries in under 10 s, the XLSX in under 5 s).

Seeds a competitive round of N scored candidates (bench/merit_rank.py's seed), generates its
merit list, marks it approved (bench data: no second person) and publishes it through the
workflow (digest, validity, anchor), then times, per run, what a download builds:
`render_announcement` (the PDF, with its verify link and QR code on every page), `to_xlsx` and
`to_csv`, wall and this process's CPU; with --keep DIR it writes the files there to look at.

    .venv/bin/python bench/merit_outputs.py                    # N = 10,000, 2 runs, SQLite
    .venv/bin/python bench/merit_outputs.py --n 2000 --runs 1 --keep /tmp/outputs
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.extensions import db
from app.merit import generation, workflow
from app.merit.announcement_pdf import render_announcement
from app.merit.exports import to_csv, to_xlsx
from app.merit.models import ListStatus
from bench.merit_rank import seed

TARGETS = {"pdf": 10.0, "xlsx": 5.0}


def timed(fn, *args) -> tuple[bytes, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--keep", default="", help="write the outputs into this folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{os.path.join(tmp, 'bench.db')}"
        app = create_app(
            "testing", {"SQLALCHEMY_DATABASE_URI": url, "PUBLIC_BASE_URL": "https://recruit.example.go.th"}
        )
        with app.app_context(), app.test_request_context():
            db.create_all()
            round_, hr = seed(args.n, random.Random(2569))
            merit_list = generation.generate_list(round_, hr)
            merit_list.status = ListStatus.APPROVED  # (bench data: the approval's second person skipped)
            db.session.commit()
            merit_list = workflow.publish(merit_list, hr)
            verify = f"https://recruit.example.go.th/verify/list/{merit_list.digest}"
            entries = len(merit_list.entries)
            print(f"published a list of {entries:,} entries; load average {os.getloadavg()[0]:.1f}")
            worst = {}
            for run in range(1, args.runs + 1):
                for name, fn, fargs in (
                    ("pdf", render_announcement, (merit_list, verify)),
                    ("xlsx", to_xlsx, (merit_list,)),
                    ("csv", to_csv, (merit_list,)),
                ):
                    db.session.expire_all()  # each download reads the list anew
                    data, wall, cpu = timed(fn, *fargs)
                    worst[name] = max(worst.get(name, 0.0), wall)
                    print(
                        f"  run {run}  {name:<5} wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
                        f"{len(data) / 1e6:6.2f} MB"
                    )
                    if args.keep:
                        Path(args.keep).mkdir(parents=True, exist_ok=True)
                        (Path(args.keep) / f"announcement-{entries}.{name}").write_bytes(data)
            for name, limit in TARGETS.items():
                verdict = "meets" if worst[name] < limit else "MISSES"
                print(f"{name}: slowest run {worst[name]:.2f} s, target < {limit:.0f} s: {verdict}")
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
