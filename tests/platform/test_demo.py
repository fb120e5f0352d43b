"""`flask demo load`: what a new user finds after `make run`."""

from sqlalchemy import func, select

from app.accounts.models import Role, UserRole
from app.agencies.models import Agency
from app.audit.services import verify_chain
from app.exams.models import Exam, ExamItem, Seat, Sitting
from app.recruitment.models import Mode, Round, RoundStatus


def test_demo_load_seeds_every_mode_role_and_the_part_a_test(runner, db):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "candidate@demo.bma.go.th" in result.output and "demo-pass-2569" in result.output
    names = set(db.session.scalars(select(Agency.name_en)))
    for expected in (
        "Office of the BMA Civil Service Commission",
        "Bang Khen District Office",
        "Khlong Toei District Office",
        "Phasi Charoen District Office",
        "Taling Chan District Office",
        "Medical Service Department",
    ):
        assert expected in names
    open_modes = set(db.session.scalars(select(Round.mode).where(Round.status == RoundStatus.OPEN)))
    assert open_modes == set(Mode.ALL)
    assert set(db.session.scalars(select(UserRole.role))) == set(Role.ALL)
    exam = db.session.scalar(select(Exam).where(Exam.code == "part-a-demo"))
    per_section = dict(
        db.session.execute(
            select(ExamItem.section, func.count())
            .where(ExamItem.bank == exam.bank)
            .group_by(ExamItem.section)
        ).all()
    )
    assert set(per_section) == {"analytical", "language", "law_ethics"}
    assert all(n >= 40 for n in per_section.values())
    assert db.session.scalar(select(func.count()).select_from(Sitting)) == 2
    assert db.session.scalar(select(func.count()).select_from(Seat)) == 6
    assert verify_chain().ok

    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code != 0 and "not empty" in again.output
    quiet = runner.invoke(args=["demo", "load", "--if-empty"])
    assert quiet.exit_code == 0 and "admin@demo.bma.go.th" in quiet.output
