"""Charts of results: a stage's score distribution and a list's summary, drawn on the server as
accessible SVG that runs under the page's CSP, with the data in a table beside; the stage-score
list searched, filtered and paged."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.common import charts
from app.merit import generation
from tests.factories.merit import scored_round
from tests.support.reading import page_text


def svgs_of(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, re.S)


def test_a_chart_is_accessible_svg_without_script_or_inline_style():
    c = charts.histogram([5, 15, 15, 95], 100, title="คะแนน", desc="การกระจาย", x_title="ช่วง", y_title="คน")
    svg = str(c.svg)
    assert svg.startswith("<svg") and 'role="img"' in svg
    title_id, desc_id = re.search(r'aria-labelledby="([^" ]+) ([^"]+)"', svg).groups()
    assert f'<title id="{title_id}">คะแนน</title>' in svg and f'<desc id="{desc_id}">การกระจาย</desc>' in svg
    assert "<script" not in svg and "<style" not in svg and 'style="' not in svg and "kozea.github" not in svg
    assert c.rows[0] == ["0–10", 1] and c.rows[1] == ["10–20", 2] and c.rows[-1] == ["90–100", 1]
    css = charts.stylesheet()
    assert "svg.pygal-chart" in css and "#chart-" not in css and "Sarabun" in css


def test_the_stage_page_draws_its_scores_and_pages_them(app, db, make):
    spec = [(150, 100 + i, 80) for i in range(60)]
    agency, round_, apps = scored_round(db, make, spec)
    c = make.client_for(app, make.hr(agency))
    resp = c.get(f"/hr/rounds/{round_.id}/scores", query_string={"stage": "part_b"})
    html = resp.get_data(as_text=True)
    (svg,) = svgs_of(html)
    assert "Scores of Part B" in svg and "Part B" in page_text(resp)
    # 60 scores from 100 to 159 of 200: all in the ranges 100–120, 120–140 and 140–160.
    assert re.search(r"<th scope=\"row\">100–120</th>\s*<td>20</td>", html)
    assert re.search(r"<th scope=\"row\">140–160</th>\s*<td>20</td>", html)
    assert "/charts.css" in html
    assert "60 approved applicants" in page_text(resp) and "Showing 1–50 of 60" in page_text(resp)
    second = c.get(f"/hr/rounds/{round_.id}/scores", query_string={"stage": "part_b", "page": 2})
    assert apps[-1].number in page_text(second) and apps[0].number not in page_text(second)
    one = c.get(f"/hr/rounds/{round_.id}/scores", query_string={"stage": "part_b", "q": apps[7].number})
    assert "1 approved applicant" in page_text(one)
    missing = c.get(f"/hr/rounds/{round_.id}/scores", query_string={"stage": "part_b", "result": "missing"})
    assert "0 approved applicants" in page_text(missing)


def test_the_merit_list_page_summarises_the_list_in_a_chart(app, db, make):
    agency, round_, apps = scored_round(db, make, [(150, 150, 80), (150, 125, 70), (150, 170, 60)])
    ml = generation.generate_list(round_, make.hr(agency))
    c = make.client_for(app, make.hr(agency), lang="th")
    html = c.get(f"/hr/lists/{ml.id}").get_data(as_text=True)
    (svg,) = svgs_of(html)
    assert 'role="img"' in svg and "<desc" in svg
    # Totals 230, 195, 230: the data table beside has all three entries counted.
    table = html.split('id="list-totals-table-caption"')[1].split("</table>")[0]
    counts = [int(n) for n in re.findall(r"</th>\s*<td>(\d+)</td>", table)]
    assert sum(counts) == 3


def test_the_hr_list_page_filters_entries_by_where_they_stand(app, db, make):
    from app.merit.models import MeritEntry
    from tests.factories.merit import published_list

    ml = published_list(make, size=6)
    first = db.session.scalars(
        select(MeritEntry).where(MeritEntry.list_id == ml.id, MeritEntry.rank == 1)
    ).one()
    first.status = "called"
    db.session.commit()
    c = make.client_for(app, make.hr(ml.round.agency))
    called = c.get(f"/hr/lists/{ml.id}", query_string={"status": "called"})
    body = page_text(called)
    assert 'name="status"' in called.get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>", called.get_data(as_text=True))
    assert rows == ["1"]
    available = c.get(f"/hr/lists/{ml.id}", query_string={"status": "available"})
    assert re.findall(r"<tr>\s*<td>(\d+)</td>", available.get_data(as_text=True)) == ["2", "3", "4", "5", "6"]
    assert "Where the entries stand" in body  # the summary chart of a published list
