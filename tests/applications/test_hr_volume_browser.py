"""HR at volume in a real browser, in Thai: the applications list searched, a few ticked and
approved after the confirmation step; the stage-score page with its chart; axe-core finds no
serious violation on any page visited, and no page breaks the CSP."""

from __future__ import annotations

from sqlalchemy import func, select

from app.applications.models import Application, ApplicationStatus
from app.recruitment.models import RoundStatus
from app.scores import recording
from tests.factories.applications import many_applications
from tests.support.browser import main_text, open_context, serious_violations


def test_hr_searches_ticks_confirms_and_approves_and_reads_a_chart(browser, live_server, db, make):
    agency = make.agency()
    round_ = make.round_(agency)
    names = lambda i: ("สมหญิง" if i < 3 else "ผู้สมัคร", f"ลำดับ{i + 1}")  # noqa: E731
    many_applications(round_, 120, names=names)
    scored = make.round_(agency, status=RoundStatus.IN_PROGRESS)
    for i, app_id in enumerate(many_applications(scored, 30, status=ApplicationStatus.APPROVED)):
        recording.record_stage_score(
            db.session.get(Application, app_id), "part_b", 100 + i * 3, source="hr_entry"
        )
    hr = make.hr(agency)

    context, page = open_context(browser, live_server, hr.email, make.PASSWORD, english=False)
    try:
        page.goto(f"/hr/rounds/{round_.id}/applications")
        assert "120" in main_text(page) and "หน้า 1 จาก 3" in main_text(page)
        assert serious_violations(page) == []

        page.fill("#q", "สมหญิง")
        page.locator("form[role=search] button[type=submit]").click()
        page.wait_for_load_state()
        assert "3" in page.locator("main [role=status]").first.inner_text()
        boxes = page.locator("input[name=ids]")
        assert boxes.count() == 3
        boxes.nth(0).check()
        boxes.nth(1).check()
        page.locator("button[name=scope][value=selected]").click()
        page.wait_for_load_state()
        assert "อนุมัติใบสมัคร 2 รายการหรือไม่" in main_text(page)
        assert serious_violations(page) == []
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "อนุมัติแล้ว 2 รายการ" in main_text(page)
        assert serious_violations(page) == []

        page.goto(f"/hr/rounds/{scored.id}/scores?stage=part_b")
        svg = page.locator("figure.chart svg[role=img]")
        assert svg.count() == 1
        assert "ข้อมูลของแผนภูมิ" in main_text(page)
        box = svg.bounding_box()
        assert box and box["width"] > 200  # drawn, with the stylesheet of our own origin
        assert serious_violations(page) == []
    finally:
        context.close()
    approved = db.session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.round_id == round_.id, Application.status == ApplicationStatus.APPROVED)
    )
    assert approved == 2
