"""The daily interview schedule of a panel (schedule_pdf.py), in Thai."""

from __future__ import annotations

import shutil
import subprocess
from datetime import time

from app.interviews.schedule_pdf import daily_schedule, daily_schedule_pdf
from tests.factories.interviews import MONDAY, NOW, World

FROZEN_AT = NOW  # every test here runs at this instant (conftest's _frozen_clock)


# ---- the daily schedule PDF --------------------------------------------------------------


def test_daily_schedule_pdf_lists_the_panel_day_in_thai(db, make, tmp_path):
    w = World(make, n=2)
    w.applicant(extra_time="approved")
    w.slots(end=time(10, 30))
    w.slots(start=time(13), end=time(13, 45), minutes=45)
    w.schedule()
    data = daily_schedule(w.panel, MONDAY)
    assert [r.application_number for r in data.rows][:2] == [a.number for a in w.apps]
    assert data.rows[2].candidate_name == "(ว่าง)"
    assert data.rows[3].accommodations == "เวลาเพิ่ม"
    assert data.members[0][0] == "ประธานกรรมการ"
    pdf = daily_schedule_pdf(w.panel, MONDAY)
    assert pdf.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "2569" in text and w.apps[0].number in text.replace("\n", "")
    if shutil.which("pdftoppm"):  # it renders (the PNG was looked at while writing this)
        (tmp_path / "s.pdf").write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "40",
                "-f",
                "1",
                "-l",
                "1",
                str(tmp_path / "s.pdf"),
                str(tmp_path / "s"),
            ],
            check=True,
        )
        assert list(tmp_path.glob("s*.png"))
