"""Sizing the media server (docs/deployment.md): one interview (a candidate and two panel
members, Chromium's fake camera and microphone, 320x240, VIDEO_BITRATE) held through Janus in a
network namespace, as tests/interviews/test_video_media.py does, then measured over a window:
Janus's CPU, the bytes on the wire per forwarded stream, frames received per page.

    .venv/bin/python bench/video_room.py [--seconds 20]

Needs root, Janus and Chromium. Prints the figures as JSON and per-stream ratios; nothing asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import janus as janus_support  # noqa: E402
from tests.support import netns  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    if not (netns.possible() and janus_support.available()):
        sys.exit("needs root, unshare, ip and Debian's janus")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        env = netns.scenario_env(
            BMA_VIDEO_NETNS="1",
            BMA_VIDEO_MEASURE=str(args.seconds),
            BMA_VIDEO_REPORT=str(report),
            VIDEO_RECORDINGS_DIR=f"{tmp}/recordings",
            **janus_support.settings_for_namespace(),
        )
        done = netns.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/interviews/video_media_scenario.py",
                "-q",
                "-p",
                "no:randomly",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:logging",
                f"--basetemp={tmp}/inner",
            ],
            cwd=ROOT,
            env=env,
            timeout=args.seconds + 240,
        )
        if done.returncode != 0 or not report.exists():
            sys.exit("the room scenario failed:\n" + (done.stdout + done.stderr)[-4000:])
        figures = json.loads(report.read_text())
    streams = figures["streams_in"] + figures["streams_out"]
    print(json.dumps(figures, indent=2))
    cpu = figures["janus_cpu_percent_of_a_core"] / streams
    kbps = figures["kbps_per_stream"]
    print(f"per forwarded stream (audio + video): {cpu:.2f} % of a core, {kbps:.0f} kbps")
    print(f"one interview of {figures['participants']}: {figures['kbps_on_the_wire']:.0f} kbps on the wire")


if __name__ == "__main__":
    main()
