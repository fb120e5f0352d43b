"""Running a command inside a private network namespace with a veth on 127.0.0.2 (Janus carries
no media over a loopback interface: docs/video.md). Needs root, `unshare` and `ip`."""

from __future__ import annotations

import os
import shutil
import subprocess

SETUP = """
set -e
ip link set lo up
ip link add vlab0 type veth peer name vlab1
sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip addr add 127.0.0.2/32 dev vlab0
ip link set vlab0 up
ip link set vlab1 up
exec "$@"
"""


def possible() -> bool:
    return os.geteuid() == 0 and bool(shutil.which("unshare")) and bool(shutil.which("ip"))


def run(argv: list[str], *, cwd, env: dict, timeout: float) -> subprocess.CompletedProcess:
    """`argv` in a namespace of its own (with `env`: TCP to the host's services is unreachable
    there, Unix sockets and files are not)."""
    command = ["unshare", "--net", "bash", "-c", SETUP, "netns", *argv]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def scenario_env(**extra: str) -> dict:
    """This process's environment without pytest's own variables and without DATABASE_URL (the
    namespace's run uses SQLite), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.pop("DATABASE_URL", None)
    env.pop("REQUIRE_DATABASE", None)
    env.update(extra)
    return env
