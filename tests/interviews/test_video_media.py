"""The interview room carries real video between a candidate and a panel (issue 17's browser
test). Janus gathers no ICE candidates on a loopback interface, so this test makes a private
network namespace with a veth on 127.0.0.2 (the recipe in docs/video.md) and runs Janus, the
app and Chromium (fake camera and microphone) inside it, in a pytest of their own:
video_media_scenario.py. Needs root (CI runs as root), Janus and Chromium; bounded in time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import janus as janus_support
from tests.support import netns

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _missing() -> str | None:
    if not janus_support.available():
        return "needs Debian's janus"
    if not os.path.exists("/usr/bin/chromium"):
        return "needs Debian's chromium"
    if not netns.possible():
        return "needs root, unshare and ip to make a network namespace"
    return None


@pytest.mark.browser
@pytest.mark.skipif(_missing() is not None, reason=_missing() or "")
def test_a_candidate_and_two_panel_members_see_each_other_in_the_room(tmp_path):
    # The app inside is created with the Janus settings (config.py reads them), so its CSP names
    # Janus's WebSocket; SQLite, as the host's PostgreSQL is not reachable from the namespace.
    env = netns.scenario_env(
        BMA_VIDEO_NETNS="1",
        VIDEO_RECORDINGS_DIR=str(tmp_path / "recordings"),
        **janus_support.settings_for_namespace(),
    )
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(HERE / "video_media_scenario.py"),
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:logging",
        f"--basetemp={tmp_path / 'inner'}",
    ]
    try:
        done = netns.run(command, cwd=ROOT, env=env, timeout=240)
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"the room scenario took more than 240 s:\n{(err.stdout or '')[-4000:]}")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "1 passed" in output, output[-3000:]
