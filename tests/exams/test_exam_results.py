"""After the online test: results with item analysis (checked by hand), the results CSV, and
Part A certificates (issue, verify, expire, revoke, PDF, exemption)."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.common import national_id as nid
from app.common.clock import frozen_at, now
from app.common.errors import Forbidden, NotAllowed
from app.exams import (
    analysis,
    answering,
    certificates,
    sitting_control,
    sittings,
    starting,
    submission,
    timing,
)
from app.exams.analysis import ItemInfo, analyse_items, item_statistics
from app.exams.models import Certificate, ItemVersion
from tests.factories import exams as eh
from tests.support.reading import audit_count, page_text


@pytest.fixture
def exam(db):
    eh.bank(per_band=1)  # 3 items per section: every form holds the whole bank
    return eh.exam(policy="after_publication")


def test_item_statistics_on_a_hand_computed_example():
    info = ItemInfo(version_id=1, key="b", choices=["a", "b", "c", "d"])
    # Five candidates: (choice, total). Item scores x = 1,1,0,1,0; totals without the item
    # r = 9,7,6,4,3. Means 0.6 and 5.8; deviations x: .4,.4,-.6,.4,-.6, r: 3.2,1.2,.2,-1.8,-2.8.
    # Sxy = 1.28+.48-.12-.72+1.68 = 2.6; Sxx = 1.2; Syy = 22.8; r = 2.6/sqrt(27.36) = 0.49707.
    stats = item_statistics(info, [("b", 10), ("b", 8), ("a", 6), ("b", 5), (None, 3)])
    assert stats.n == 5 and stats.facility == pytest.approx(0.6)
    assert stats.discrimination == pytest.approx(2.6 / math.sqrt(27.36)) == pytest.approx(0.4971, abs=1e-4)
    assert stats.choice_counts == {"a": 1, "b": 3, "c": 0, "d": 0} and stats.omitted == 1
    assert stats.flags == [] and not stats.review

    # Worth 2 points: the rest scores are 8,6,6,3,3 -> means .6, 5.2; deviations 2.8,.8,.8,-2.2,
    # -2.2; Sxy = 1.12+.32-.48-.88+1.32 = 1.4; Syy = 7.84+.64+.64+4.84+4.84 = 18.8.
    two = item_statistics(
        ItemInfo(1, "b", ["a", "b", "c", "d"], points=2), [("b", 10), ("b", 8), ("a", 6), ("b", 5), (None, 3)]
    )
    assert two.discrimination == pytest.approx(1.4 / math.sqrt(1.2 * 18.8))


def test_item_flags_and_edge_cases():
    info = ItemInfo(version_id=1, key="b", choices=["a", "b"])
    everyone = item_statistics(info, [("b", 5), ("b", 4), ("b", 2)])
    assert everyone.facility == 1.0 and everyone.discrimination is None
    assert everyone.flags == [analysis.TOO_EASY]
    nobody = item_statistics(info, [("a", 5), (None, 4), ("a", 2)])
    assert nobody.facility == 0.0 and nobody.flags == [analysis.TOO_HARD]
    # The strong candidates miss it, the weak ones get it: negative discrimination.
    backwards = item_statistics(info, [("a", 10), ("a", 8), ("b", 2), ("b", 1)])
    assert backwards.facility == 0.5 and backwards.discrimination < 0
    assert backwards.flags == [analysis.LOW_DISCRIMINATION]
    one = item_statistics(info, [("b", 3)])
    assert one.n == 1 and one.discrimination is None
    none_ = item_statistics(info, [])
    assert none_.n == 0 and none_.facility is None and none_.flags == []


def test_analyse_items_counts_each_item_over_the_forms_that_had_it():
    items = {
        1: ItemInfo(1, "a", ["a", "b"]),
        2: ItemInfo(2, "b", ["a", "b"]),
        3: ItemInfo(3, "a", ["a", "b"]),
    }
    stats = analyse_items([({1: "a", 2: "b"}, 2), ({1: "b", 3: None}, 0), ({1: "a", 2: "a"}, 1)], items)
    by_id = {s.info.version_id: s for s in stats}
    assert [s.n for s in stats] == [3, 2, 1]
    assert by_id[1].facility == pytest.approx(2 / 3)
    assert by_id[3].omitted == 1 and by_id[3].facility == 0


# ---- results from real attempts -------------------------------------------------------------

# Key "b" everywhere (tests.factories.exams). Totals: A 6, B 3, C 2, D 0 of 6.
PLAN = {
    "A": {
        "NUM-EASY-0": "b",
        "NUM-MEDIUM-0": "b",
        "NUM-HARD-0": "b",
        "LAW-EASY-0": "b",
        "LAW-MEDIUM-0": "b",
        "LAW-HARD-0": "b",
    },
    "B": {"NUM-EASY-0": "b", "NUM-MEDIUM-0": "b", "NUM-HARD-0": "a", "LAW-EASY-0": "b", "LAW-MEDIUM-0": "c"},
    "C": {"NUM-EASY-0": "b", "NUM-MEDIUM-0": "a", "NUM-HARD-0": "a", "LAW-EASY-0": "b"},
    "D": {"NUM-EASY-0": "a"},
}


def _sit_the_exam(db, make, exam, with_absentee=True):
    """Four candidates take the test by PLAN and submit; one more never checks in."""
    sitting, hr = eh.sitting(make, exam, starts_in=timedelta(minutes=1))
    people = {}
    for name in PLAN:
        cand, seat = eh.seated(make, sitting)
        people[name] = (cand, eh.check_in(cand, seat))
    if with_absentee:
        eh.seated(make, sitting)
    sitting_control.start_sitting(sitting, hr)
    for name, (cand, attempt) in people.items():
        starting.begin_if_due(attempt)
        codes = {
            q["version_id"]: db.session.get(ItemVersion, q["version_id"]).item.code for q in attempt.form
        }
        for seq, (index, q) in enumerate(enumerate(attempt.form), start=1):
            choice = PLAN[name].get(codes[q["version_id"]])
            if choice is not None:
                answering.record_answer(attempt, index, choice, seq)
        submission.submit(attempt, "candidate", actor=cand)
    return sitting, hr, people


def test_results_and_item_analysis_match_the_hand_computed_values(app, db, make, exam):
    sitting, hr, people = _sit_the_exam(db, make, exam)
    assert [people[n][1].score for n in "ABCD"] == [6, 3, 2, 0]

    items = {s.info.code: s for s in analysis.item_analysis(sitting)}
    assert len(items) == 6 and all(s.n == 4 for s in items.values())
    easy = items["NUM-EASY-0"]
    # x = 1,1,1,0; rest = 5,2,1,0: Sxy = 2.0, Sxx = .75, Syy = 14 -> r = 2/sqrt(10.5) = 0.6172
    assert easy.facility == 0.75 and easy.discrimination == pytest.approx(2 / math.sqrt(10.5))
    assert easy.choice_counts == {"a": 1, "b": 3, "c": 0, "d": 0} and easy.omitted == 0
    assert not easy.review
    hard = items["LAW-HARD-0"]
    # x = 1,0,0,0; rest = 5,3,2,0: Sxy = 2.5, Sxx = .75, Syy = 13 -> r = 2.5/sqrt(9.75) = 0.8006
    assert hard.facility == 0.25 and hard.discrimination == pytest.approx(2.5 / math.sqrt(9.75))
    assert hard.omitted == 3 and hard.choice_counts["b"] == 1

    page = page_text(make.client_for(app, hr).get(f"/hr/sittings/{sitting.id}/results"))
    assert "Item analysis" in page and "NUM-EASY-0" in page
    assert "0.62" in page and "0.80" in page and "0.75" in page
    assert "6.00 / 6.00" in page and "100.00%" in page
    # The one who never came may still enter late: absent only once late entry has closed.
    assert "Not checked in" in page and "Absent" not in page
    with frozen_at(timing.entry_closes_at(sitting) + timedelta(seconds=1)):
        assert "Absent" in page_text(make.client_for(app, hr).get(f"/hr/sittings/{sitting.id}/results"))
    assert page.count("badge-pass") == 1 and page.count("badge-fail") == 3
    # Passed 1 of 4 submitted; the mean is (6+3+2+0)/4 = 2.75.
    assert "2.75 / 6.00" in page

    # The same figures drawn: accessible SVG (named, described) with the data beside it.
    html = make.client_for(app, hr).get(f"/hr/sittings/{sitting.id}/results?item={easy.info.version_id}").text
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 3 and all('role="img"' in s and "<title" in s and "<desc" in s for s in svgs)
    assert not any("<script" in s or "<style" in s or 'style="' in s for s in svgs)
    scatter = next(s for s in svgs if "Facility against discrimination" in s)
    assert "NUM-EASY-0" in scatter and "LAW-HARD-0" in scatter
    assert "<td>0.75</td><td>0.62</td>" in html.replace("\n", "").replace(" ", "")  # the data table beside
    choices = next(s for s in svgs if "Choices taken on item NUM-EASY-0" in s)
    assert "b" in choices and "/charts.css" in html


def test_results_csv_has_a_bom_and_thai_names(app, db, make, exam):
    sitting, hr, people = _sit_the_exam(db, make, exam)
    resp = make.client_for(app, hr).get(f"/hr/sittings/{sitting.id}/results.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Application number", "Name", "Room"]
    by_name = {r[1]: r for r in rows[1:]}
    a_row = by_name[people["A"][0].full_name_th]
    assert "ทดสอบ" in a_row[1] and a_row[4:8] == ["submitted", "6.00", "6.00", "100.00"]
    assert a_row[-2] == "pass" and by_name[people["B"][0].full_name_th][-2] == "fail"
    assert len(rows) == 6  # header, four submitted, one absent
    assert (
        make.client_for(app, make.hr(make.agency())).get(f"/hr/sittings/{sitting.id}/results.csv").status_code
        == 403
    )


# ---- certificates ----------------------------------------------------------------------------

CODE = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")


def test_certificate_issue_verify_expire_and_revoke(app, db, make, exam):
    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    passed, failed = people["A"][1], people["B"][1]
    cand = people["A"][0]
    assert certificates.issue_if_passed(passed) is None  # results not published yet

    cert = certificates.issue_certificate(passed)
    assert CODE.match(cert.code) and "0" not in cert.code and "O" not in cert.code
    assert cert.candidate_id == cand.id
    assert cert.valid_until.year == cert.issued_at.year + 2
    assert certificates.issue_certificate(passed).id == cert.id  # idempotent
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert audit_count(db, "certificate.issue") == 1
    with pytest.raises(NotAllowed):
        certificates.issue_certificate(failed)

    assert certificates.verify(cert.code).status == "valid"
    assert certificates.verify(cert.code.lower().replace("-", " ")).status == "valid"
    assert certificates.verify("ABCD-EFGH-JKLM").status == "unknown"
    assert certificates.verify("not a code").status == "unknown"
    assert certificates.valid_part_a_certificate(cand).id == cert.id
    with frozen_at(cert.valid_until + timedelta(seconds=1)):
        assert certificates.verify(cert.code).status == "expired"
        assert certificates.valid_part_a_certificate(cand) is None

    with pytest.raises(Forbidden):
        certificates.revoke(cert, make.hr(make.agency()), "ทุจริตในการสอบ")
    certificates.revoke(cert, hr, "ทุจริตในการสอบ")
    assert certificates.verify(cert.code).status == "revoked"
    assert certificates.valid_part_a_certificate(cand) is None
    with pytest.raises(NotAllowed):
        certificates.revoke(cert, hr, "again")
    assert audit_count(db, "certificate.revoke") == 1


def test_an_immediate_results_exam_issues_at_submission_via_the_hook(app, db, make):
    eh.bank(per_band=1)
    exam = eh.exam(policy="immediate")
    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    assert certificates.issue_if_passed(people["A"][1]) is not None
    assert certificates.issue_if_passed(people["B"][1]) is None  # failed


def test_hr_issues_the_certificates_when_publishing_and_the_public_verifies(app, db, make, exam):
    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    c = make.client_for(app, hr)
    # First the confirmation, naming what will happen; nothing is published yet.
    asked = c.post(f"/hr/sittings/{sitting.id}/publish")
    assert asked.status_code == 200 and "Publish the results of" in page_text(asked)
    assert "cannot be taken back" in page_text(asked) and "Part A certificates" in page_text(asked)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    resp = c.post(f"/hr/sittings/{sitting.id}/publish", data={"confirm": "yes"}, follow_redirects=True)
    assert "The results are published; 1 pass certificates are issued." in page_text(resp)
    cert = db.session.scalar(select(Certificate))
    assert cert.candidate_id == people["A"][0].id and cert.code in page_text(resp)
    again = c.post(f"/hr/sittings/{sitting.id}/publish", data={"confirm": "yes"}, follow_redirects=True)
    assert "already published" in page_text(again)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1

    public = make.client_for(app)  # nobody logged in
    page = page_text(public.get(f"/verify/{cert.code}"))
    holder = people["A"][0]
    assert "This certificate is genuine and valid." in page
    assert holder.full_name_th in page and "Part A test" in page and "6.00 / 6.00" in page
    assert nid.masked(holder.national_id) in page
    assert holder.national_id not in page and nid.formatted(holder.national_id) not in page
    assert holder.email not in page and "birth" not in page.lower()

    assert "No certificate has the code" in page_text(public.get("/verify/ABCD-EFGH-JKLM"))
    typed = public.get("/verify", query_string={"code": cert.code.lower()})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/verify/{cert.code.lower()}")
    with frozen_at(cert.valid_until + timedelta(days=1)):
        assert "has expired" in page_text(public.get(f"/verify/{cert.code}"))
    certificates.revoke(cert, hr, "ทุจริตในการสอบ")
    assert "has been revoked" in page_text(public.get(f"/verify/{cert.code}"))


def test_certificate_pdf_for_the_holder_and_hr_only(app, db, make, exam):
    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    holder = people["A"][0]
    cert = certificates.issue_certificate(people["A"][1])
    url = f"/exams/certificates/{cert.code}.pdf"

    resp = make.client_for(app, holder).get(url)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.get_data().startswith(b"%PDF")
    assert cert.code in resp.headers["Content-Disposition"]
    assert make.client_for(app, hr).get(url).status_code == 200
    assert make.client_for(app, people["B"][0]).get(url).status_code == 403
    assert make.client_for(app, make.hr(make.agency())).get(url).status_code == 403
    assert make.client_for(app, hr).get("/exams/certificates/ABCD-EFGH-JKLM.pdf").status_code == 404
    certificates.revoke(cert, hr, "ออกผิดคน")
    assert make.client_for(app, holder).get(url).status_code == 409


def test_the_pdf_carries_the_verify_address(app, db, make, exam):
    pypdf = pytest.importorskip("pypdf")
    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    cert = certificates.issue_certificate(people["A"][1])
    data = make.client_for(app, hr).get(f"/exams/certificates/{cert.code}.pdf").get_data()
    content = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert f"/verify/{cert.code}" in content and cert.code in content


# ---- the dashboard in a real browser ---------------------------------------------------------


@pytest.mark.browser
def test_a_valid_part_a_certificate_exempts_from_a_later_rounds_part_a(app, db, make, exam):
    """Passing Part A once satisfies the Part A stage of later rounds while it is valid."""
    from app.applications.models import Application, ApplicationStatus
    from app.exams.certificates import part_a_certificate

    sitting, hr, people = _sit_the_exam(db, make, exam, with_absentee=False)
    holder, passed_attempt = people["A"]
    cert = certificates.issue_certificate(passed_attempt)
    later = make.round_(sitting.agency)  # a competitive round: it has a Part A stage
    app_ = Application(
        round_id=later.id,
        candidate_id=holder.id,
        number=f"{later.code}-00001",
        status=ApplicationStatus.APPROVED,
    )
    db.session.add(app_)
    db.session.commit()
    assert part_a_certificate(app_).id == cert.id
    page = make.client_for(app, holder).get(f"/applications/{app_.id}").get_data(as_text=True)
    assert cert.code in page and "No Part A exam is needed" in page

    part_a = sittings.schedule_sitting(
        hr, later, exam, title_th="ภาค ก รอบถัดไป", starts_at=now() + timedelta(days=3)
    )
    result = sittings.seat_round_candidates(part_a, hr)
    assert result.exempt == 1 and result.seated == 0  # no seat needed
    certificates.revoke(cert, hr, "ตรวจพบการทุจริต")
    assert part_a_certificate(app_) is None
