"""A real Janus media server for the interview room tests, configured from deploy/janus/*.jcfg
(the same files production renders) with secrets and free ports of the test's own.

Janus carries no media over a loopback interface: the tests of rooms, tokens and refusals need
none and run anywhere; the media test runs Janus, the app and Chromium inside a network
namespace with a veth on 127.0.0.2 (`media_interface="vlab0"`, docs/video.md).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "janus"
JANUS = shutil.which("janus") or "/usr/bin/janus"


def available() -> bool:
    return os.path.exists(JANUS)


@dataclass
class RunningJanus:
    url: str
    admin_url: str
    ws_url: str
    api_secret: str
    admin_secret: str
    room_admin_key: str
    log: Path
    process: subprocess.Popen

    def config(self) -> dict:
        """The app's settings to use this server."""
        return {
            "JANUS_URL": self.url,
            "JANUS_ADMIN_URL": self.admin_url,
            "JANUS_WS_URL": self.ws_url,
            "JANUS_API_SECRET": self.api_secret,
            "JANUS_ADMIN_SECRET": self.admin_secret,
            "JANUS_ROOM_ADMIN_KEY": self.room_admin_key,
        }

    def request(self, body: dict, path: str = "") -> dict:
        """A raw request to the HTTP API, as a browser's token would make it."""
        data = json.dumps({"transaction": secrets.token_hex(6), **body}).encode()
        req = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as response:
            return json.loads(response.read())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _render(folder: Path, values: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for source in DEPLOY.glob("*.jcfg"):
        text = source.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        (folder / source.name).write_text(text, encoding="utf-8")


def settings_for_namespace() -> dict[str, str]:
    """Fixed ports (a fresh network namespace has every port free) and new secrets: set in the
    environment of the process that runs there, so the app is created with them (config.py)."""
    return {
        "JANUS_URL": "http://127.0.0.1:8088/janus",
        "JANUS_ADMIN_URL": "http://127.0.0.1:7088/admin",
        "JANUS_WS_URL": "ws://127.0.0.1:8188",
        "JANUS_API_SECRET": secrets.token_hex(16),
        "JANUS_ADMIN_SECRET": secrets.token_hex(16),
        "JANUS_ROOM_ADMIN_KEY": secrets.token_hex(16),
    }


def _port(url: str) -> int:
    return int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


@contextmanager
def running_janus(folder: Path, media_interface: str | None = None, settings: dict | None = None):
    """Start Janus with a configuration of its own in `folder` (free ports and new secrets, or
    those of `settings`, the app's JANUS_* keys); stop it afterwards."""
    name = f"bma-test-{secrets.token_hex(4)}"
    if settings:
        http, admin, ws = (_port(settings[k]) for k in ("JANUS_URL", "JANUS_ADMIN_URL", "JANUS_WS_URL"))
    else:
        http, admin, ws = _free_port(), _free_port(), _free_port()
    given = settings or {}
    values = {
        "CONFIG_DIR": str(folder),
        "SERVER_NAME": name,
        "JANUS_API_SECRET": given.get("JANUS_API_SECRET") or secrets.token_hex(16),
        "JANUS_ADMIN_SECRET": given.get("JANUS_ADMIN_SECRET") or secrets.token_hex(16),
        "JANUS_ROOM_ADMIN_KEY": given.get("JANUS_ROOM_ADMIN_KEY") or secrets.token_hex(16),
        "RTP_PORTS": "20000-20999",
        "ICE_ENFORCE": f'ice_enforce_list = "{media_interface}"' if media_interface else "",
        "HTTP_PORT": str(http),
        "ADMIN_PORT": str(admin),
        "WS_PORT": str(ws),
    }
    _render(folder, values)
    log = folder / "janus.log"
    process = subprocess.Popen(
        [JANUS, "-F", str(folder), "-N", "-o", "-L", str(log)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    running = RunningJanus(
        url=f"http://127.0.0.1:{http}/janus",
        admin_url=f"http://127.0.0.1:{admin}/admin",
        ws_url=f"ws://127.0.0.1:{ws}",
        api_secret=values["JANUS_API_SECRET"],
        admin_secret=values["JANUS_ADMIN_SECRET"],
        room_admin_key=values["JANUS_ROOM_ADMIN_KEY"],
        log=log,
        process=process,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(running.url + "/info", timeout=1) as response:
                    info = json.loads(response.read())
                if info.get("name") == name or info.get("server-name") == name:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"Janus did not start; its log:\n{log.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.1)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
