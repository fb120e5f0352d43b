"""Item text: the safe Markdown subset rendered as candidates see it (tables, bold, images with
alternative text), never raw HTML or script, and the validator's refusals naming the item."""

from __future__ import annotations

from app.exams import content
from app.exams.importers import Defaults, load_source
from tests.factories import bank as bank_files


def test_a_table_renders_as_a_real_table_in_a_focusable_named_region_with_a_hint():
    html = content.to_html(bank_files.TABLE_STEM, "/m/1/", "en")
    assert '<div class="item-table" role="region" tabindex="0" aria-label="Table">' in html
    assert "<table>" in html and '<th scope="col" class="align-left">ไตรมาส</th>' in html
    assert '<td class="align-right">18</td>' in html
    assert "scroll it sideways" in html  # the hint, shown on a narrow screen (app.css)
    assert "|" not in html  # no Markdown pipes left for a candidate to read
    assert "<strong>ไตรมาสใด</strong>" in html


def test_the_table_region_is_named_in_thai_on_a_thai_page():
    html = content.to_html(bank_files.TABLE_STEM, "", "th")
    assert 'aria-label="ตาราง"' in html


def test_bold_italic_and_lists_render():
    html = content.to_html("**หนา** และ *เอียง*\n\n1. หนึ่ง\n2. สอง", "", "th")
    assert "<strong>หนา</strong>" in html and "<em>เอียง</em>" in html
    assert "<ol>" in html and "<li>หนึ่ง</li>" in html


def test_raw_html_and_script_are_shown_as_text_never_run():
    text = '<script>alert(1)</script> <b>x</b> <img src=x onerror="alert(2)"> [go](javascript:alert(3))'
    html = content.to_html(text, "/m/1/", "en")
    assert "<script" not in html and "<b>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "href" not in html  # no links at all: a candidate must not leave the test


def test_an_image_is_served_from_the_items_media_with_its_alternative_text():
    html = content.to_html("![กราฟแท่ง](<chart 1.png>)", "/exams/media/7/", "th")
    assert '<img class="item-image" src="/exams/media/7/chart%201.png" alt="กราฟแท่ง" loading="lazy">' in html


def test_a_picture_from_elsewhere_is_never_loaded():
    html = content.to_html("![x](https://evil.example/x.png) ![y](data:image/png;base64,AAAA)", "/m/1/", "en")
    assert "<img" not in html and "evil" not in html


def test_audio_renders_with_controls_and_its_transcript():
    html = content.to_html("![ประชุมวันจันทร์](notice.mp3)", "/m/2/", "th")
    assert '<audio controls="" preload="none" src="/m/2/notice.mp3"' in html
    assert "ประชุมวันจันทร์" in html


def test_rendering_is_cached_per_text():
    content.to_html("cached **once**", "/m/3/", "en")
    before = content._html.cache_info().hits
    content.to_html("cached **once**", "/m/3/", "en")
    assert content._html.cache_info().hits == before + 1


def test_the_validator_refuses_an_image_without_alternative_text_naming_the_item(tmp_path):
    loaded = load_source(bank_files.yaml_folder(tmp_path, alt=""), "yaml")
    messages = [str(e) for e in loaded.errors]
    assert len(messages) == 1
    assert "item DATA-CHART: stem.th" in messages[0]
    assert 'the image "chart.png" has no alternative text' in messages[0]
    assert "(line " in messages[0]


def test_the_validator_names_a_missing_file_and_a_link(tmp_path):
    folder = bank_files.yaml_folder(tmp_path, image="https://example.org/chart.png")
    (folder / "notice.mp3").unlink()
    messages = [str(e) for e in load_source(folder, "yaml").errors]
    assert any("DATA-CHART" in m and "is a link" in m for m in messages)
    assert any("DATA-AUDIO" in m and '"notice.mp3" is not there' in m for m in messages)


def test_a_file_outside_the_folder_is_not_read(tmp_path):
    (tmp_path / "secret.png").write_bytes(bank_files.png())
    folder = bank_files.yaml_folder(tmp_path / "bank", image="../secret.png")
    messages = [str(e) for e in load_source(folder, "yaml").errors]
    assert any("relative name without .." in m for m in messages)


def test_media_are_read_with_the_item_and_change_its_content_hash(tmp_path):
    folder = bank_files.yaml_folder(tmp_path)
    first = {i.code: i for i in load_source(folder, "yaml").items}
    assert set(first["DATA-CHART"].media) == {"chart.png"}
    assert first["DATA-CHART"].media["chart.png"].content_type == "image/png"
    assert first["DATA-AUDIO"].media["notice.mp3"].content_type == "audio/mpeg"
    (folder / "chart.png").write_bytes(bank_files.png(colour=(200, 0, 0)))
    second = {i.code: i for i in load_source(folder, "yaml").items}
    assert second["DATA-CHART"].content_hash != first["DATA-CHART"].content_hash
    assert second["DATA-TABLE"].content_hash == first["DATA-TABLE"].content_hash


def test_a_file_that_is_not_what_its_name_says_is_refused(tmp_path):
    folder = bank_files.yaml_folder(tmp_path)
    (folder / "chart.png").write_bytes(b"<html>not a picture</html>")
    messages = [str(e) for e in load_source(folder, "yaml").errors]
    assert any('"chart.png" is not a PNG, JPEG, GIF or WebP file' in m for m in messages)


def test_a_qti_package_keeps_its_image_and_audio_with_the_item(tmp_path):
    # IMS QTI v2.1 itemBody: XHTML <img src alt> and <object data type> name files of the package
    # (IMS Content Packaging 1.1.4: the manifest's resource lists them as <file href>).
    (tmp_path / "package.zip").write_bytes(bank_files.qti_package())
    loaded = load_source(tmp_path / "package.zip", None, Defaults("qti-media", "data"))
    assert loaded.ok, [str(e) for e in loaded.errors]
    (item,) = loaded.items
    assert "![กราฟแท่งยอดขาย](media/chart.png)" in item.stem["th"]
    assert "![ประกาศ: ประชุมวันจันทร์](media/notice.mp3)" in item.stem["th"]
    assert {n: f.content_type for n, f in item.media.items()} == {
        "media/chart.png": "image/png",
        "media/notice.mp3": "audio/mpeg",
    }


def test_gift_images_embedded_as_data_or_named_are_kept(tmp_path):
    # Moodle GIFT: [html] question text may hold <img>; Moodle exports a question's own files as
    # @@PLUGINFILE@@/name, and editors may embed an image as a data: URI.
    (tmp_path / "q.gift").write_text(bank_files.gift_with_images(), encoding="utf-8")
    (tmp_path / "chart.png").write_bytes(bank_files.png())
    loaded = load_source(tmp_path / "q.gift", None, Defaults("gift-media", "data"))
    assert loaded.ok, [str(e) for e in loaded.errors]
    by_code = {i.code: i for i in loaded.items}
    embedded = by_code["EMBEDDED"]
    (name,) = embedded.media
    assert name.startswith("embedded-") and name.endswith(".png")
    assert f"![สี่เหลี่ยมสีน้ำเงิน]({name})" in embedded.stem["th"] and "base64" not in embedded.stem["th"]
    assert set(by_code["FILE"].media) == {"chart.png"} and "![กราฟ](chart.png)" in by_code["FILE"].stem["th"]
