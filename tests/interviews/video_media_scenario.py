"""The interview room with real media: run ONLY inside the network namespace that
test_video_media.py makes (Janus carries no media over loopback; a veth on 127.0.0.2 carries
it, docs/video.md). Not collected by itself (its name is not test_*).

A candidate and two panel members (the chair and a member) hold an interview: the panel joins,
the candidate waits in the lobby until the chair admits them, each page receives the other two's
video (frames arriving: videoWidth > 0, currentTime increasing), a candidate of another interview
cannot open the room, and after the chair finalizes the score the room is gone from every page.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from app.interviews import chairing, video
from app.interviews.janus import Janus
from tests.factories.accounts import PASSWORD
from tests.factories.panels import build, score_and_submit
from tests.support import janus as janus_support

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]

pytestmark = pytest.mark.skipif(
    os.environ.get("BMA_VIDEO_NETNS") != "1", reason="runs inside test_video_media.py's network namespace"
)


@pytest.fixture(scope="module")
def janus_server(tmp_path_factory):
    """Janus with the settings the app was created with (test_video_media.py put them in the
    environment)."""
    settings = {k: os.environ[k] for k in janus_support.settings_for_namespace()}
    with janus_support.running_janus(
        tmp_path_factory.mktemp("janus"), media_interface="vlab0", settings=settings
    ) as server:
        yield server


def _receiving(page) -> list[dict]:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('#video-tiles video')).map(v => "
        "({w: v.videoWidth, t: v.currentTime, role: v.closest('figure').dataset.role}))"
    )


def _wait_for_two_live_videos(page, timeout=30.0) -> list[dict]:
    """Two remote videos whose picture has size and whose time moves on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        first = _receiving(page)
        if len(first) == 2 and all(v["w"] > 0 for v in first):
            time.sleep(1.5)
            second = _receiving(page)
            if len(second) == 2 and all(b["t"] > a["t"] for a, b in zip(first, second, strict=True)):
                return second
        time.sleep(0.3)
    raise AssertionError(f"{page.url}: remote videos not playing: {_receiving(page)}")


def measure(server, pages) -> None:
    """For bench/video_room.py (BMA_VIDEO_MEASURE=seconds): the media server's CPU and the
    video each page receives over a window, written to BMA_VIDEO_REPORT. Nothing in a test run."""
    seconds = float(os.environ.get("BMA_VIDEO_MEASURE", "0"))
    if not seconds:
        return

    def cpu() -> float:
        fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def frames() -> list[int]:
        return [
            p.evaluate(
                "() => Array.from(document.querySelectorAll('#video-tiles video'))"
                ".reduce((n, v) => n + (v.getVideoPlaybackQuality().totalVideoFrames || 0), 0)"
            )
            for p in pages
        ]

    def wire_bytes() -> int:
        # Every packet between the browsers and Janus is sent once, on the namespace's loopback
        # (local addresses) or its veth.
        return sum(int(Path(f"/sys/class/net/{i}/statistics/tx_bytes").read_text()) for i in ("lo", "vlab0"))

    frames0, cpu0, bytes0, t0 = frames(), cpu(), wire_bytes(), time.monotonic()
    time.sleep(seconds)
    frames1, cpu1, bytes1, t1 = frames(), cpu(), wire_bytes(), time.monotonic()
    streams = len(pages) + len(pages) * (len(pages) - 1)
    report = {
        "seconds": round(t1 - t0, 2),
        "participants": len(pages),
        "streams_in": len(pages),
        "streams_out": len(pages) * (len(pages) - 1),
        "kbps_on_the_wire": round((bytes1 - bytes0) * 8 / 1000 / (t1 - t0), 1),
        "kbps_per_stream": round((bytes1 - bytes0) * 8 / 1000 / (t1 - t0) / streams, 1),
        "janus_cpu_percent_of_a_core": round(100 * (cpu1 - cpu0) / (t1 - t0), 2),
        "frames_per_second_per_page": [
            round((b - a) / (t1 - t0), 1) for a, b in zip(frames0, frames1, strict=True)
        ],
    }
    with open(os.environ["BMA_VIDEO_REPORT"], "w", encoding="utf-8") as out:
        json.dump(report, out)


def test_candidate_and_panel_hold_the_interview_in_the_room(app, db, make, live_server, janus_server):
    from playwright.sync_api import sync_playwright

    assert app.config["JANUS_WS_URL"] == janus_server.ws_url
    csp_errors: list[str] = []
    s = build(make, members=1, quorum=2)
    s.agency.records_interviews = True  # this agency records: the candidate consents first
    db.session.commit()
    other = build(make, members=1, quorum=2)  # another interview, another candidate
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)

        def open_as(user, path):
            context = browser.new_context(base_url=live_server, locale="th-TH")
            page = context.new_page()
            page.set_default_timeout(20000)
            page.on(
                "console",
                lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
            )
            page.goto("/accounts/login")
            page.fill("#email", user.email)
            page.fill("#password", PASSWORD)
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_load_state()
            response = page.goto(path)
            return page, response

        chair, _ = open_as(s.chair, f"/panel/interviews/{s.interview.id}")
        member, _ = open_as(s.members[0], f"/panel/interviews/{s.interview.id}")
        candidate, _ = open_as(s.candidate, f"/interviews/{s.interview.id}/room")
        intruder, response = open_as(other.candidate, f"/interviews/{s.interview.id}/room")
        assert response.status in (403, 404)

        chair.click("#video-start")
        member.click("#video-start")
        candidate.click("#video-start")  # without consent: asked for it, not let into the lobby
        candidate.locator("#video-start").wait_for(state="visible")
        assert "บันทึก" in candidate.locator("#video-status").inner_text()
        candidate.check("#video-consent")
        candidate.click("#video-start")
        candidate.wait_for_function("() => document.body.dataset.videoState === 'lobby'")
        assert "ห้องรอ" in candidate.locator("#video-status").inner_text()
        # The chair sees the candidate waiting and lets them in.
        chair.locator("#video-admit").wait_for(state="visible")
        chair.click("#video-admit")
        candidate.wait_for_function("() => document.body.dataset.videoState === 'in_room'", timeout=20000)

        for page in (chair, member, candidate):
            live = _wait_for_two_live_videos(page)
            assert len(live) == 2
        roles = sorted(v["role"] for v in _receiving(candidate))
        assert roles == ["chair", "member"]
        assert sorted(v["role"] for v in _receiving(chair)) == ["candidate", "member"]
        # The chair's list of who is connected, from the media server.
        chair.wait_for_function("() => document.querySelectorAll('#video-connected li').length === 3")
        measure(janus_server, (chair, member, candidate))
        if os.environ.get("BMA_VIDEO_SCREENSHOTS"):  # to look at the pages (docs/video.md)
            for name, p in (("chair", chair), ("candidate", candidate)):
                p.screenshot(path=f"{os.environ['BMA_VIDEO_SCREENSHOTS']}/{name}.png", full_page=True)

        # A reload (a dropped connection, a phone that slept) puts the admitted candidate back in.
        candidate.reload()
        candidate.click("#video-start")
        candidate.wait_for_function("() => document.body.dataset.videoState === 'in_room'")
        _wait_for_two_live_videos(candidate)
        _wait_for_two_live_videos(chair)

        # The chair ends the candidate's connection: they are out, back in the lobby, and the
        # chair can let them in again.
        chair.click("#video-end")
        # The house's in-page dialog asks first ("No" has the focus); the browser's own never shows.
        assert chair.evaluate("() => document.activeElement.id") == "confirm-dialog-no"
        chair.locator("dialog #confirm-dialog-yes").click()
        candidate.wait_for_function("() => document.body.dataset.videoState === 'lobby'", timeout=20000)
        chair.wait_for_function("() => document.querySelectorAll('#video-tiles video').length === 1")
        chair.locator("#video-admit").wait_for(state="visible")
        chair.click("#video-admit")
        candidate.wait_for_function("() => document.body.dataset.videoState === 'in_room'", timeout=20000)
        _wait_for_two_live_videos(candidate)

        # Scoring stays as it is; finalizing closes the room on every page.
        room = video.room_of(s.interview).room
        for n, user in enumerate(s.everyone):
            score_and_submit(s, user, str(20 + n), "15")
        chairing.finalize(s.interview, s.chair)
        for page in (chair, member, candidate):
            page.wait_for_function("() => document.body.dataset.videoState === 'closed'", timeout=15000)
        assert not Janus().room_exists(room)

        # The recording: converted by the scheduler's job, fetched by the panel, not by others.
        assert video.sweep()["recordings_saved"] >= 6  # audio and video of the three, at least
        recordings = video.recordings_of(s.interview)
        assert {r.kind for r in recordings} == {"audio", "video"}
        first_video = next(r for r in recordings if r.kind == "video")
        url = f"{live_server}/interviews/{s.interview.id}/recordings/{first_video.id}"
        fetched = chair.request.get(url)
        assert fetched.status == 200 and fetched.headers["content-type"] == "video/webm"
        assert fetched.body()[:4] == b"\x1a\x45\xdf\xa3"  # EBML: a WebM file
        assert candidate.request.get(url).status == 403
        assert intruder.request.get(url).status == 403
        browser.close()
    assert csp_errors == []
