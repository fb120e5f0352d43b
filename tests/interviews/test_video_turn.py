"""TURN for candidates behind NAT (issue 17): the credentials the app hands a browser are
accepted by a real coturn configured as deploy/coturn/turnserver.conf is (use-auth-secret with
the same shared secret), and refused once expired or made with another secret. coturn's own
client (turnutils_uclient) makes the allocation and relays a few packets."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from app.interviews import video

SECRET = "turn-test-secret"

pytestmark = pytest.mark.skipif(
    not (shutil.which("turnserver") and shutil.which("turnutils_uclient")),
    reason="needs Debian's coturn (apt-get install coturn)",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def turn(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("turn") / "turn.log"
    process = subprocess.Popen(
        [
            "turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
            f"--listening-port={port}", "--min-port=49160", "--max-port=49260",
            "--use-auth-secret", f"--static-auth-secret={SECRET}", "--realm=recruit.test",
            "--fingerprint", "--allow-loopback-peers", "--no-cli", "--no-tls", "--no-dtls",
            f"--log-file={log}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    yield port
    process.terminate()
    process.wait(timeout=10)


def allocate(port: int, username: str, password: str) -> str:
    """coturn's test client: allocate a relay and send a few packets through it."""
    done = subprocess.run(
        ["turnutils_uclient", "-u", username, "-w", password, "-p", str(port),
         "-n", "1", "-m", "1", "-l", "100", "-y", "127.0.0.1"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return done.stdout + done.stderr


def credentials(app, at: float, secret: str = SECRET) -> dict:
    saved = app.config["TURN_URLS"], app.config["TURN_SECRET"]
    app.config.update(TURN_URLS=["turn:127.0.0.1?transport=udp"], TURN_SECRET=secret)
    try:
        [server] = video.ice_servers(7, at=at)
    finally:
        app.config["TURN_URLS"], app.config["TURN_SECRET"] = saved
    return server


def test_coturn_relays_for_the_credentials_the_app_issues(app, turn):
    server = credentials(app, at=time.time())
    out = allocate(turn, server["username"], server["credential"])
    assert "Cannot complete Allocation" not in out
    assert "Total lost packets 0" in out, out[-800:]


def test_coturn_refuses_expired_credentials_and_another_secret(app, turn):
    expired = credentials(app, at=time.time() - 2 * app.config["TURN_TTL_SECONDS"])
    assert "Cannot complete Allocation" in allocate(turn, expired["username"], expired["credential"])
    forged = credentials(app, at=time.time(), secret="not-the-secret")
    assert "Cannot complete Allocation" in allocate(turn, forged["username"], forged["credential"])
