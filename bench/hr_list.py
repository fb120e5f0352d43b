"""Benchmark: HR's applications list of a round of 5,000 against one of 50 (issue 16: "HR handles
a round of 5,000 applications with search, paging and bulk approval").

Builds a scratch SQLite file (or uses --database), seeds two rounds of one agency with 50 and
5,000 submitted applications (bulk inserts), logs HR in through the test client and times, per
round: the first page, a page in the middle, a search by name, a search by national ID, and the
confirmation page of approving all that match. Prints the median of the runs in milliseconds;
then approves all 5,000 (confirmed: a background job, each approval audited) and prints how long
that took and the job's result page.

    .venv/bin/python bench/hr_list.py
    .venv/bin/python bench/hr_list.py --runs 20 --database postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from app import create_app
from app.accounts.models import Role, User, UserRole
from app.accounts.services import hash_password
from app.agencies.models import Agency
from app.applications.models import Application
from app.common import national_id as nid
from app.common.clock import now
from app.extensions import db
from app.recruitment.models import Position, Round

PASSWORD = "bench-pass-2569"


def seed_round(agency: Agency, position: Position, code: str, n: int, first_id: int) -> Round:
    stamp = now()
    round_ = Round(
        code=code,
        agency_id=agency.id,
        position_id=position.id,
        mode="competitive_exam",
        status="open",
        title_th=f"รอบ {code}",
        opens_at=stamp - timedelta(days=1),
        closes_at=stamp + timedelta(days=10),
        application_seq=n,
    )
    db.session.add(round_)
    db.session.flush()
    people = [
        dict(
            email=f"{code.lower()}-{i}@bench.test",
            password_hash="x",
            national_id=nid.complete(f"1{first_id + i:011d}"),
            first_name_th="สมชาย" if i % 10 == 0 else "ผู้สมัคร",
            last_name_th=f"ลำดับ{i}",
            session_token=f"{code}{i}",
            locale="th",
            created_at=stamp,
            active=True,
        )
        for i in range(n)
    ]
    db.session.execute(insert(User), people)
    ids = dict(
        db.session.execute(select(User.email, User.id).where(User.email.like(f"{code.lower()}-%"))).all()
    )
    db.session.execute(
        insert(Application),
        [
            dict(
                number=f"{code}-{i + 1:05d}",
                round_id=round_.id,
                candidate_id=ids[p["email"]],
                status="submitted",
                qualifications={},
                eligibility=[],
                submitted_at=stamp,
            )
            for i, p in enumerate(people)
        ],
    )
    return round_


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--database", default="")
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-hr-list-")
    url = args.database or f"sqlite:///{folder}/bench.db"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.drop_all()
        db.create_all()
        agency = Agency(code="BENCH", name_th="สำนักงานทดสอบ", name_en="Bench office")
        db.session.add(agency)
        db.session.flush()
        position = Position(agency_id=agency.id, title_th="นักทรัพยากรบุคคล", level="ปฏิบัติการ")
        db.session.add(position)
        db.session.flush()
        small = seed_round(agency, position, "S50", 50, 1)
        large = seed_round(agency, position, "L5000", 5000, 100_000)
        hr = User(
            email="hr@bench.test",
            password_hash=hash_password(PASSWORD),
            first_name_th="เจ้าหน้าที่",
            last_name_th="ทดสอบ",
            agency_id=agency.id,
            email_verified_at=now(),
        )
        hr.roles = [UserRole(role=Role.HR_OFFICER)]
        db.session.add(hr)
        db.session.commit()
        some_nid = db.session.scalar(
            select(User.national_id)
            .join(Application, Application.candidate_id == User.id)
            .where(Application.number == "L5000-04321")
        )
        rounds = {"50": small.id, "5,000": large.id}
    client = app.test_client()
    client.post("/accounts/login", data={"email": "hr@bench.test", "password": PASSWORD})
    heads = ("page 1", "middle", "name", "nat. ID", "confirm")
    print(f"{'round':>7} " + " ".join(f"{h:>8}" for h in heads) + f"   (ms, median of {args.runs})")
    for label, round_id in rounds.items():
        base = f"/hr/rounds/{round_id}/applications"
        middle = 50 if label == "5,000" else 1
        cases = [
            ("GET", base, {}),
            ("GET", base, {"page": middle}),
            ("GET", base, {"q": "สมชาย"}),
            ("GET", base, {"q": some_nid or "1"}),
            ("POST", f"{base}/approve", {"scope": "matching"}),
        ]
        times = []
        for method, path, values in cases:
            runs = []
            for _ in range(args.runs):
                t = time.perf_counter()
                if method == "GET":
                    resp = client.get(path, query_string=values)
                else:
                    resp = client.post(path, data=values)
                runs.append((time.perf_counter() - t) * 1000)
                assert resp.status_code == 200, resp.status_code
            times.append(statistics.median(runs))
        print(f"{label:>7} " + " ".join(f"{t:8.1f}" for t in times))

    # Then approve all 5,000 that match, confirmed, as HR would: more than
    # BACKGROUND_ROWS_THRESHOLD, so a background job (run inside the request here, JOBS_RUN_INLINE;
    # in production the request only queues it and the person watches its progress page).
    base = f"/hr/rounds/{rounds['5,000']}/applications"
    with app.app_context():
        up_to = db.session.scalar(
            select(func.max(Application.id)).where(Application.round_id == rounds["5,000"])
        )
    t = time.perf_counter()
    resp = client.post(f"{base}/approve", data={"scope": "matching", "confirmed": "yes", "up_to_id": up_to})
    approve_ms = (time.perf_counter() - t) * 1000
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"], resp.status_code
    t = time.perf_counter()
    job_page = client.get(resp.headers["Location"])
    job_ms = (time.perf_counter() - t) * 1000
    assert "5000" in job_page.get_data(as_text=True)
    with app.app_context():
        approved = db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.round_id == rounds["5,000"], Application.status == "approved")
        )
    print(
        f"approve all 5,000 (job, each audited): {approve_ms / 1000:.1f} s for {approved} approved "
        f"({approved / (approve_ms / 1000):.0f}/s); the job's result page {job_ms:.1f} ms"
    )


if __name__ == "__main__":
    main()
