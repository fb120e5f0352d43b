"""PDF documents: the admission ticket and the Part A certificate, rendered with Thai data."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import shapeStr

from app.common import clock
from app.common import national_id as nid
from app.documents import (
    AdmissionTicket,
    PartACertificate,
    render_admission_ticket,
    render_part_a_certificate,
)
from app.documents.pdf import (
    FONT,
    break_points,
    build_pdf,
    fit_long_runs,
    glyph_text,
    para,
    qr_code,
    register_fonts,
    shaping_active,
    styles,
    thai_date,
    thai_datetime,
    thai_time,
)

MASKED_ID = nid.masked(nid.complete("110170012345"))
SITTING = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 09.00 in Bangkok, a Wednesday
_PRIVATE_USE = range(0xE000, 0xF900)


def ticket(**overrides) -> AdmissionTicket:
    values = dict(
        application_number="69-01-000123",
        candidate_name_th="นางสาวน้ำฝน ใจงาม",
        candidate_name_en="Miss Namfon Jaingam",
        national_id_masked=MASKED_ID,
        round_title="การสอบแข่งขันเพื่อบรรจุและแต่งตั้งบุคคลเข้ารับราชการเป็นข้าราชการกรุงเทพมหานครสามัญ ครั้งที่ 1/2569",
        agency_name="สำนักงานคณะกรรมการข้าราชการกรุงเทพมหานคร",
        exam_title="ภาคความรู้ความสามารถทั่วไป (ภาค ก)",
        sitting_at=SITTING,
        room="ห้อง 301 อาคารศาลาว่าการกรุงเทพมหานคร 2 (ดินแดง)",
        seat="A-017",
        check_in_opens_at=datetime(2026, 11, 25, 1, 0, tzinfo=UTC),
        verify_url="https://recruit.bangkok.go.th/verify/ticket/69-01-000123?code=Q7XK2M9P",
        rules=[
            "แต่งกายสุภาพเรียบร้อย และนำบัตรประจำตัวประชาชนมาแสดงต่อกรรมการคุมสอบทุกครั้ง",
            "ผู้สมัครที่ได้รับการคัดเลือกต้องปฏิบัติหน้าที่ตามที่กรุงเทพมหานครกำหนด",
            "ห้ามนำโทรศัพท์มือถือ นาฬิกาอัจฉริยะ หรืออุปกรณ์สื่อสารทุกชนิดเข้าห้องสอบ",
        ],
        accommodations=["ขยายเวลาสอบเพิ่มขึ้นร้อยละ 25"],
    )
    values.update(overrides)
    return AdmissionTicket(**values)


def certificate(**overrides) -> PartACertificate:
    values = dict(
        candidate_name_th="นางสาวน้ำฝน ใจงาม",
        national_id_masked=MASKED_ID,
        exam_title="การสอบภาคความรู้ความสามารถทั่วไป (ภาค ก) ครั้งที่ 1/2569",
        sat_on=SITTING,
        score=Decimal("152.5"),
        total=200,
        issued_on=date(2026, 12, 1),
        valid_until=date(2028, 12, 1),
        verification_code="PA69-7Q2K-M4XD",
        verify_url="https://recruit.bangkok.go.th/verify/part-a/PA69-7Q2K-M4XD",
    )
    values.update(overrides)
    return PartACertificate(**values)


def read(pdf: bytes) -> tuple[PdfReader, str]:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    """BaseFont name -> whether the font program is embedded in the file."""
    fonts = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = bool(descriptor and "/FontFile2" in descriptor.get_object())
            fonts[str(font["/BaseFont"])] = embedded
    return fonts


def assert_sarabun_only(reader: PdfReader) -> None:
    fonts = embedded_fonts(reader)
    assert fonts, "no fonts in the PDF"
    for name, embedded in fonts.items():
        assert "Sarabun" in name, f"{name} is not Sarabun"
        assert embedded, f"{name} is not embedded"


def to_unicode_targets(reader: PdfReader) -> list[str]:
    """What each glyph code of each embedded font reads as, from the fonts' ToUnicode maps."""
    targets = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            cmap = font.get_object().get("/ToUnicode")
            if cmap is not None:
                data = cmap.get_object().get_data().decode("latin-1")
                targets += re.findall(r"<[0-9A-F]{2}> <([0-9A-F]+)>", data)
    return targets


def assert_shaped(reader: PdfReader, text: str) -> None:
    # HarfBuzz drew some marks with their variant glyphs (the mai ek raised above sara ii in
    # ที่, but not in ต่อ): the same text is drawn by two glyphs. Unshaped text never is.
    targets = to_unicode_targets(reader)
    assert len(targets) > len(set(targets)), "no HarfBuzz-substituted glyphs"
    # And every glyph says what it reads: copying, searching and screen readers get ที่, not
    # ที plus a private-use code.
    assert not [ch for ch in text if ord(ch) in _PRIVATE_USE]


def test_admission_ticket_is_one_a4_page_of_shaped_sarabun():
    with clock.frozen_at(datetime(2026, 11, 18, 3, 15, tzinfo=UTC)):
        pdf = render_admission_ticket(ticket())
    reader, text = read(pdf)

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    assert "69-01-000123" in text
    assert "Miss Namfon Jaingam" in text
    assert MASKED_ID in text and "A-017" in text
    assert "กรุงเทพมหานคร" in text
    assert "25 พฤศจิกายน 2569" in text and "09.00 น." in text
    assert "1 / 1" in text
    assert reader.metadata.title == "บัตรประจำตัวผู้สอบ 69-01-000123"
    assert_sarabun_only(reader)
    assert_shaped(reader, text)


def test_part_a_certificate_shows_score_dates_and_verification_code():
    pdf = render_part_a_certificate(certificate())
    reader, text = read(pdf)

    assert len(reader.pages) == 1
    assert "PA69-7Q2K-M4XD" in text
    assert "152.5" in text and "200" in text and "76.25" in text  # score, total, percent
    assert "120" in text  # the pass mark: 60% of 200
    assert "25 พฤศจิกายน 2569" in text  # sat on
    assert "พ.ศ. 2569" in text  # issued on
    assert "2571" in text  # valid until
    assert "https://recruit.bangkok.go.th/verify/part-a/PA69-7Q2K-M4XD" in text.replace("\n", "")
    assert_sarabun_only(reader)
    assert_shaped(reader, text)


def test_certificate_without_expiry_and_with_whole_scores():
    _, text = read(render_part_a_certificate(certificate(score=120, total=200, valid_until=None)))
    assert "120 จากคะแนนเต็ม 200 คะแนน (ร้อยละ 60.00)" in text  # exactly the pass mark passes
    assert "2571" not in text


def test_no_pass_certificate_below_the_pass_mark():
    with pytest.raises(ValueError, match="pass mark"):
        certificate(score=Decimal("119.5"), total=200)
    with pytest.raises(ValueError, match="pass mark"):
        certificate(score=150, total=200, pass_percent=80)


def test_ticket_needs_timezone_aware_times():
    with pytest.raises(ValueError, match="timezone-aware"):
        ticket(sitting_at=datetime(2026, 11, 25, 9, 0))  # noqa: DTZ001 (naive on purpose)


def test_long_lists_flow_onto_a_second_page_without_tofu():
    many = [f"ข้อปฏิบัติที่ {n} ผู้เข้าสอบต้องปฏิบัติหน้าที่ตามที่กรุงเทพมหานครกำหนดทุกประการ" for n in range(1, 41)]
    reader, text = read(render_admission_ticket(ticket(rules=many)))

    assert len(reader.pages) == 2
    assert "2 / 2" in text
    # Tofu would be a private-use code that HarfBuzz re-shaped to .notdef (glyph 0).
    face = pdfmetrics.getFont(FONT).face
    assert not [c for c, glyph in face.charToGlyph.items() if glyph == 0 and c in _PRIVATE_USE]


def test_shaped_marks_copy_and_search_as_the_text_they_draw():
    words = ["ที่นั่ง", "สิ่งนี้", "ใจซื่อ", "ก้ำกึ่ง", "ฤๅษี", "น้ำฝน", "ปั้น", "นาฬิกา", "ญี่ปุ่น", "ฐิติ", "กฎ", "ปฏิทิน"]
    reader, text = read(build_pdf([para(" ".join(words))], title="t"))
    assert not [ch for ch in text if ord(ch) in _PRIVATE_USE]
    # ำ comes out as its two glyphs' characters (ํ + า), which is its compatibility form.
    flat = unicodedata.normalize("NFKC", text).replace(" ", "")
    for word in words:
        assert unicodedata.normalize("NFKC", word) in flat, word
    assert "ที่นั่ง" in text  # no normalizing needed where there is no ำ


def test_glyph_names_give_their_text_in_logical_order():
    assert glyph_text("uni0E48.small") == "\u0e48"
    assert glyph_text("uni0E31.narrow") == "\u0e31"
    assert glyph_text("uni0E240E45") == "ฤๅ"
    assert glyph_text("uni0E4D0E49") == "\u0e49\u0e4d"  # mai tho before the nikhahit of ำ
    assert glyph_text("loChulathai.short") == "ฬ"  # นาฬิกา: ฬ shortened under sara i
    assert glyph_text("f_i", {"f": "f", "i": "i"}.get) == "fi"
    assert glyph_text(".notdef") is None and glyph_text("mystery.ss01") is None


def test_thai_is_shaped_by_harfbuzz():
    assert shaping_active()
    assert all(style.shaping == 1 for style in styles().values())
    assert all(style.fontName.startswith("Sarabun") for style in styles().values())
    register_fonts()
    shaped = shapeStr("ที่", FONT, 12)
    assert str(shaped) != "ที่"  # the mai ek became its raised variant glyph
    assert any(d.x_offset or d.y_offset for d in shaped.__shapeData__)  # and marks were positioned


def test_buddhist_era_dates_and_bangkok_times():
    assert thai_datetime(SITTING) == "วันพุธที่ 25 พฤศจิกายน 2569 เวลา 09.00 น."
    assert thai_date(date(2026, 12, 1)) == "1 ธันวาคม 2569"
    # 20:00 UTC is already the next morning in Bangkok
    assert thai_date(datetime(2026, 11, 25, 20, 0, tzinfo=UTC), weekday=True) == "วันพฤหัสบดีที่ 26 พฤศจิกายน 2569"
    assert thai_time(datetime(2026, 11, 25, 20, 5, tzinfo=UTC)) == "03.05 น."
    with pytest.raises(ValueError):
        thai_time(datetime(2026, 11, 25, 9, 0))  # noqa: DTZ001 (naive on purpose)


def test_long_thai_runs_break_between_syllables_not_inside_them():
    register_fonts()
    title = "การสอบแข่งขันเพื่อบรรจุและแต่งตั้งบุคคลเข้ารับราชการเป็นข้าราชการกรุงเทพมหานครสามัญ ครั้งที่ 1/2569"
    # Runs that fit are left for ReportLab to break at the spaces.
    assert fit_long_runs(title, FONT, 12, 460) == title
    lines = fit_long_runs(title, FONT, 12, 150).split("\n")
    assert "".join(lines) == title
    assert lines[:3] == ["การสอบแข่งขันเพื่อบรรจุและ", "แต่งตั้งบุคคลเข้ารับราชการ", "เป็นข้าราชการ"]
    for line in lines:
        assert pdfmetrics.stringWidth(line.split(" ")[0], FONT, 12) <= 150
        assert line[0] not in (
            "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4cะาำ"
        )
        assert line[-1] not in "เแโใไ"
    # never inside a cluster, nor inside a word we keep whole
    points = break_points("นางสาวน้ำฝนกรุงเทพมหานคร")
    assert 6 in points and 7 not in points and 8 not in points  # น|้|ำ
    assert not any(11 < i < 24 for i in points)  # กรุงเทพมหานคร
    assert points[11] is True  # its start is a good place


def test_qr_code_carries_the_url():
    url = "https://recruit.bangkok.go.th/verify/part-a/PA69-7Q2K-M4XD"
    code = qr_code(url)
    assert code.value == url
    assert code.width == code.height


@pytest.mark.parametrize(
    "render",
    [lambda: render_admission_ticket(ticket()), lambda: render_part_a_certificate(certificate())],
    ids=["admission_ticket", "part_a_certificate"],
)
def test_page_one_renders_to_a_png(render, tmp_path):
    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm:
        pytest.skip("pdftoppm (poppler-utils) is not installed: cannot rasterise the PDF")
    (tmp_path / "doc.pdf").write_bytes(render())
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "doc.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=60,
    )
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 0
    image = Image.open(png).convert("L")
    assert image.size[1] > image.size[0]  # portrait
    assert image.getextrema()[0] < 64  # there is ink on the page


LONG_VENUE = (
    "ศูนย์สอบมหาวิทยาลัยเทคโนโลยีพระจอมเกล้าธนบุรี อาคารเรียนรวมและปฏิบัติการพื้นฐานทางวิทยาศาสตร์ "
    "(126 ถนนประชาอุทิศ แขวงบางมด เขตทุ่งครุ กรุงเทพมหานคร 10140)"
)
LONG_ROOM = "ห้องปฏิบัติการคอมพิวเตอร์ 1204 ชั้น 12 อาคารเรียนรวมหลังใหม่ ฝั่งทิศตะวันออก"


def test_the_worst_realistic_ticket_still_fits_one_page_with_its_signature(app, tmp_path):
    """A long Thai venue and room name, a long name and title, the photo, the emblem, a booked
    seat, two accommodations and ten rules: one A4 page, signature line included."""
    from PIL import Image as PILImage

    from app.exams.candidate import rules_th

    photo = tmp_path / "photo.jpg"
    PILImage.new("RGB", (300, 400), (200, 210, 225)).save(photo)
    rules = [
        *rules_th(),
        "นำบัตรประจำตัวประชาชนหรือบัตรที่ทางราชการออกให้ซึ่งมีรูปถ่าย มาแสดงต่อกรรมการคุมสอบทุกครั้ง",
        "แต่งกายสุภาพเรียบร้อย งดสวมเสื้อยืดคอกลม กางเกงยีนส์ และรองเท้าแตะ",
        "ผู้ที่มาถึงห้องสอบหลังเวลาเริ่มสอบเกินสามสิบนาที จะไม่ได้รับอนุญาตให้เข้าสอบ",
    ][:10]
    assert len(rules) == 10
    data = ticket(
        round_title="การสอบแข่งขันเพื่อบรรจุและแต่งตั้งบุคคลเข้ารับราชการเป็นข้าราชการกรุงเทพมหานครสามัญ "
        "ตำแหน่งนักวิชาการสาธารณสุขปฏิบัติการ ครั้งที่ 1/2569",
        agency_name="สำนักงานคณะกรรมการข้าราชการกรุงเทพมหานคร (สำนักงาน ก.ก.)",
        venue=LONG_VENUE,
        room=LONG_ROOM,
        candidate_name_th="ว่าที่ร้อยตรีหญิงเฉลิมพระเกียรติสุนันทา ศรีสวัสดิ์วงศ์ไพบูลย์",
        candidate_name_en="Acting Sub-Lieutenant Chaloemphrakiat Sunanta Srisawatwongphaibun",
        rules=rules,
        accommodations=["ขยายเวลาสอบเพิ่มขึ้นร้อยละ 25", "ข้อสอบตัวอักษรขนาดใหญ่"],
        photo_path=str(photo),
    )
    with app.app_context():  # the configured emblem at the head
        reader, text = read(render_admission_ticket(data))

    assert len(reader.pages) == 1 and "1 / 1" in text
    flat = text.replace("\n", "").replace(" ", "")
    assert LONG_VENUE.replace(" ", "") in flat and LONG_ROOM.replace(" ", "") in flat  # wrapped, all there
    assert "ลงชื่อผู้เข้าสอบ" in text  # the signature line did not go to a second page
    assert "10." in text and "ผู้ที่มาถึงห้องสอบหลังเวลาเริ่มสอบ" in flat
    images = list(reader.pages[0].images)
    assert len(images) >= 2  # the photograph and the emblem
    assert_sarabun_only(reader)
    assert_shaped(reader, text)
