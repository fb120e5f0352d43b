"""The shared building blocks: national ID check digit, Buddhist Era dates, audit chain, quota."""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import text

from app.audit.services import record, verify_chain
from app.common import national_id as nid
from app.common.thai import format_date, format_datetime
from app.recruitment.services import quota_vacancies


def test_national_id_check_digit():
    good = nid.complete("110170012345")
    assert nid.is_valid(good)
    assert nid.is_valid(nid.formatted(good))  # dashes are accepted
    bad = good[:12] + str((int(good[12]) + 1) % 10)
    assert not nid.is_valid(bad)
    assert not nid.is_valid("12345")
    assert not nid.is_valid("abcdefghijklm")


def test_national_id_known_value():
    # 1-1017-00123-45-? : sum = 1*13+1*12+0*11+1*10+7*9+0*8+0*7+1*6+2*5+3*4+4*3+5*2 = 148
    # check = (11 - 148 % 11) % 10 = (11 - 5) % 10 = 6
    assert nid.check_digit("110170012345") == 6
    assert nid.masked("1101700123456") == "X-XXXX-XXXX3-45-6"


def test_buddhist_era_dates():
    d = date(2026, 11, 25)
    assert format_date(d, "th") == "25 พฤศจิกายน 2569"
    assert format_date(d, "en") == "25 November 2026"
    # 20:00 UTC is already the next day in Bangkok
    dt = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    assert format_datetime(dt, "th", short=True) == "26 พ.ย. 2569 03:00 น."


def test_internal_quota_is_four_percent_rounded_down():
    assert quota_vacancies(250, Decimal("4")) == 10
    assert quota_vacancies(49, 4) == 1
    assert quota_vacancies(24, 4) == 0


def test_audit_chain_detects_tampering(app, db, runner):
    for i in range(3):
        record("test.event", object_type="thing", object_id=i, after={"i": i})
    db.session.commit()
    assert verify_chain().ok
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "3 entries" in result.output
    db.session.execute(text("UPDATE audit_log SET after = :a WHERE seq = 2"), {"a": '{"i": 99}'})
    db.session.commit()
    report = verify_chain()
    assert not report.ok and report.first_broken.seq == 2
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "seq=2" in result.output
