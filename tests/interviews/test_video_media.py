"""The interview room carries real video between a candidate and a panel (issue 17's browser
test). Janus gathers no ICE candidates on a loopback interface, so this test makes a private
network namespace with a veth on 127.0.0.2 (the recipe in docs/video.md) and runs Janus, the
app and Chromium (fake camera and microphone) inside it, in a pytest of their own:
video_media_scenario.py. Needs root (CI runs as root), Janus and Chromium; bounded in time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import janus as janus_support

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NETNS_SETUP = """
set -e
ip link set lo up
ip link add vlab0 type veth peer name vlab1
sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip addr add 127.0.0.2/32 dev vlab0
ip link set vlab0 up
ip link set vlab1 up
exec "$@"
"""


def _missing() -> str | None:
    if not janus_support.available():
        return "needs Debian's janus"
    if not os.path.exists("/usr/bin/chromium"):
        return "needs Debian's chromium"
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return "needs root, unshare and ip to make a network namespace"
    return None


@pytest.mark.browser
@pytest.mark.skipif(_missing() is not None, reason=_missing() or "")
def test_a_candidate_and_two_panel_members_see_each_other_in_the_room(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.pop("DATABASE_URL", None)  # TCP to the host's PostgreSQL is unreachable in the namespace: SQLite
    env["BMA_VIDEO_NETNS"] = "1"
    # The app inside is created with these (config.py reads them), so its CSP names Janus's WebSocket.
    env.update(janus_support.settings_for_namespace())
    command = [
        "unshare",
        "--net",
        "bash",
        "-c",
        NETNS_SETUP,
        "netns",
        sys.executable,
        "-m",
        "pytest",
        str(HERE / "video_media_scenario.py"),
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        f"--basetemp={tmp_path / 'inner'}",
    ]
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"the room scenario took more than 240 s:\n{(err.stdout or '')[-4000:]}")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "1 passed" in output, output[-3000:]
