"""Every page each role reaches, shown in Thai, speaks Thai: a person using the site in Thai meets
no English text (issue 16). The pages are found by following the links of each role's pages from
its home (so a new page is checked without being listed here), in the demo's world plus an
application, a published list and the audit log's entries.

Two checks, each failing the build with the page and the words:
- a phrase of the catalogue that has a Thai translation appears in English (a `_()` missed, or
  a code shown where its label should be);
- a Latin-letter word that is not on the allow list below (names of standards and file types,
  the demo's own English data) appears at all (a stored code shown as it is: "open", "id_card").
"""

from __future__ import annotations

import html as html_lib
import io
import re
from collections import deque

import pytest
from flask_babel import refresh

from app.accounts.services import hash_password
from app.main import demo
from tests.factories.applications import pdf_bytes, post_apply
from tests.support.thai_text import english_words, untranslated_phrases, visible_text

# Words that are right on a Thai page: names of products and standards Thai writing keeps as
# they are, codes a person types (CSV column names, the example of a criterion code), and the
# demo's own data entered in English.
ALLOWED = {
    "WebSocket",
    "JavaScript",
    "Sarabun",
    "Moodle",
    "Excel",  # a product's name, like Moodle's: the spreadsheet formats the bank reads
    "Chrome",
    "Edge",
    "Firefox",
    "Safari",
    "HiGHS",  # the solver that assembles parallel forms, named on the forms page
    "Infit",
    "infit",
    "outfit",  # the item-fit statistics, named as Thai psychometrics writes them
    "application_number",
    "score",
    "note",  # the columns of a score CSV, named in its hint
    "leadership",  # the example of a rubric criterion's code, in its hint
    "analytical",  # the example of a bank section's code, in the upload form's hint
    "visual",  # the demo candidate's own words for their disability: "การเห็น (visual)"
}
PHRASES = (
    "Doctor of Medicine",  # a shortage degree of the demo, entered in English by HR
    "(Conflict of Interest)",  # a Thai item of the demo bank quoting the English term
    "ปฏิบัติการ / Operational",  # the example of how to write a position's level, in its hint
    '"role."',  # examples of audit action codes to filter by, in the filter's hint
    '"user.create"',
)
# Links not followed: downloads (PDF, CSV, ...), the language switch, log out, static files.
SKIP = re.compile(
    r"^/(static|lang)/|/documents/|/api/|\.(pdf|csv|xlsx|ics|json)\b|pdf|export|ticket|certificate"
    r"|canonical|/logout|score-sheet|download|[?&]lang="
)
MAX_PAGES = 80


def crawl(client, starts: list[str]) -> dict[str, str]:
    """{path: html} of the pages reachable from `starts` by GET links, each path once."""
    queue, seen, pages = deque(starts), set(), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        path = url.split("?", 1)[0]
        if path in seen:
            continue
        seen.add(path)
        refresh()  # the tests' one app context would keep the language Babel chose before
        resp = client.get(url)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        html = resp.get_data(as_text=True)
        pages[url] = html
        for href in re.findall(r'href="(/[^"#]*)', html):
            href = html_lib.unescape(href)
            if not SKIP.search(href):
                queue.append(href)
    return pages


def english_on(pages: dict[str, str]) -> dict[str, list[str]]:
    found = {}
    for url, html in pages.items():
        text = visible_text(html)
        problems = [f"untranslated: “{p}”" for p in untranslated_phrases(text)]
        problems += [f"English word: {w}" for w in sorted(english_words(text, ALLOWED, PHRASES))]
        if problems:
            found[url] = problems
    return found


@pytest.fixture
def world(app, db, make, monkeypatch):
    """The demo, a candidate's application with documents, a published list and its HR."""
    digest = hash_password(make.PASSWORD)  # one slow hash for every demo account, not one each
    monkeypatch.setattr(demo, "hash_password", lambda _password: digest)
    demo.load()
    from sqlalchemy import select

    from app.accounts.models import User
    from app.recruitment.models import Round, RoundStatus

    users = {u.email: u for u in db.session.scalars(select(User))}
    cand = users["candidate@demo.bma.go.th"]
    round_ = db.session.scalars(
        select(Round).where(Round.status == RoundStatus.OPEN).order_by(Round.id)
    ).first()
    c = make.client_for(app, cand, lang="th")
    resp = post_apply(c, round_, doc_transcript=[(io.BytesIO(pdf_bytes()), "transcript.pdf")])
    assert resp.status_code == 302, resp.get_data(as_text=True)
    ml = make.merit.published_list(make, agency=round_.agency)
    return users, round_, ml


def _logged_in(app, make, user):
    refresh()  # (the flash of the log-in is written in the language Babel holds)
    return make.client_for(app, user, lang="th")


ROLE_HOMES = {
    "candidate@demo.bma.go.th": ["/", "/applications", "/accounts/profile"],
    "hr.csc@demo.bma.go.th": ["/", "/hr/rounds", "/hr/positions"],
    "approver.csc@demo.bma.go.th": ["/", "/hr/rounds"],
    "panel@demo.bma.go.th": ["/"],
    "proctor@demo.bma.go.th": ["/"],
    "admin@demo.bma.go.th": ["/", "/admin/", "/admin/audit"],
    "partner@demo.bma.go.th": ["/"],
    "bank@demo.bma.go.th": ["/bank", "/bank/part-a-demo"],
}


def test_every_page_of_every_role_speaks_thai(app, make, world):
    users, _round, ml = world
    found = {}
    for email, homes in ROLE_HOMES.items():
        pages = crawl(_logged_in(app, make, users[email]), [*homes, f"/hr/lists/{ml.id}"])
        assert len(pages) >= 3, f"the crawl found too few pages for {email}: {list(pages)}"
        found |= {f"{email} {url}": problems for url, problems in english_on(pages).items()}
    assert found == {}


def test_public_pages_and_error_pages_speak_thai(app, make, world):
    _users, round_, ml = world
    c = app.test_client()  # Thai is the default
    pages = crawl(c, ["/", "/rounds", f"/lists/{ml.id}", "/accounts/register", "/accounts/login"])
    for url, code in (("/no-such-page", 404), (f"/hr/lists/{ml.id}", 302)):
        resp = c.get(url)
        assert resp.status_code == code
        if code == 200 or (resp.mimetype == "text/html" and code != 302):
            pages[url] = resp.get_data(as_text=True)
    assert len(pages) >= 5
    assert english_on(pages) == {}


def test_the_check_finds_english_where_there_is_some():
    """The check itself: it sees English text, codes and spoken labels, and leaves alone what
    is marked English, codes with digits, e-mails and file names."""
    html = """<main><p>ยื่นใบสมัคร open</p><button aria-label="Close">x</button>
      <a lang="en" href="/lang/en">English</a><p>R1-2569 a@b.test t.pdf</p><code>id_card</code>
      <p>This field is required.</p></main>"""
    text = visible_text(html)
    assert english_words(text, ALLOWED) == {"open", "Close", "This", "field", "is", "required"}
    assert english_words("เอกสาร id_card ของ CSC part-a-demo", ALLOWED) == {"id_card"}
    assert "This field is required" in untranslated_phrases(text)


ERROR_LADEN_SHEET = (
    "รหัส / id,ประเภท / type,คำถาม / stem_th,ตัวเลือก ก / a,ตัวเลือก ข / b,คำตอบ / key,"
    "ตรึงลำดับตัวเลือก / fixed_order,เลือกได้ไม่เกิน / max_choices\n"
    "AN-1,ผสม,ข้อใดถูก,หนึ่ง,สอง,a,,\n"
    "AN-2,single,ข้อใดถูก,หนึ่ง,สอง,z,,\n"
    "AN-3,single,ข้อใดถูก,หนึ่ง,สอง,a,บางที,\n"
    "AN-4,multiple,ข้อใดถูก,หนึ่ง,สอง,a,,5\n"
)
ERROR_LADEN_GIFT = """::Q1:: จงอธิบายความสำคัญของกรุงเทพมหานคร {}

๑ + ๑ เท่ากับเท่าใด {=2 ~3 ~4}

::Q3:: จับคู่ {=ก -> ข =ค -> ง =จ -> ฉ}

::Q4:: เลือก { ๑ ๒ }
"""


@pytest.mark.parametrize(
    ("name", "data"),
    [("bank-2569.csv", ERROR_LADEN_SHEET), ("bank-2569.gift", ERROR_LADEN_GIFT), ("bank-2569.doc", "x")],
)
def test_the_bank_pages_and_an_error_laden_upload_speak_thai(app, make, world, name, data):
    """The validation report of a file full of mistakes (rows and columns, values, skipped
    questions, warnings) is in Thai: only what is quoted from the file is not."""
    users, _round, _ml = world
    c = _logged_in(app, make, users["bank@demo.bma.go.th"])
    resp = c.post(
        "/bank/uploads",
        data={
            "file": (io.BytesIO(data.encode("utf-8")), name),
            "bank": "part-a",
            "section": "analytical",
            "difficulty": "medium",
            "topic": "general",
        },
        content_type="multipart/form-data",
    )
    refresh()
    if name.endswith(".doc"):  # refused at once, on the upload page, in Thai
        assert resp.status_code == 422
        assert "ไม่ใช่รูปแบบที่คลังข้อสอบอ่านได้" in resp.get_data(as_text=True)
        return
    assert resp.status_code == 302, resp.get_data(as_text=True)
    job_url = resp.headers["Location"]  # (checked as a background job: its page links to the report)
    refresh()
    job = c.get(job_url).get_data(as_text=True)
    report = re.search(r'<p id="job-link"><a class="button" href="([^"]+)"', job).group(1)
    refresh()
    shown = c.get(report)
    assert shown.status_code == 422  # (a report with errors: nothing can be confirmed)
    html = shown.get_data(as_text=True)
    assert ("แถวที่ 2" in html) if name.endswith(".csv") else ("ข้อที่ข้ามและเหตุผล" in html or "คำถาม" in html)
    assert "<code>" in html  # what is quoted from the file is shown as code
    assert english_on({report: html, job_url: job}) == {}
