"""Start and stop the serving pieces on loopback: gunicorn web processes (deploy/gunicorn.conf.py),
nginx in front of them with the shipped sticky-session configuration (deploy/nginx/), and the
scheduler. Every process runs in its own process group, in the foreground (no daemons), with its
log in a given folder, so a test or the benchmark can kill it (SIGKILL included) and clean up.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NGINX = "/usr/sbin/nginx"
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    port: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL, wait: float = 10.0) -> None:
        """Signal the whole process group (gunicorn's master and worker together)."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait(timeout=wait)

    def stop(self) -> None:
        self.kill(signal.SIGTERM, wait=8.0)

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def pids(self) -> list[int]:
        """This process and its children (gunicorn's worker), for CPU and memory readings."""
        found = [self.popen.pid]
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid in found:
                    found.append(int(pid))
        return found


def _die_with_parent() -> None:
    """In the child: be killed when the process that started us dies, even by SIGKILL or a
    test runner's timeout, so no server outlives its test (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass


def _spawn(name: str, argv: list[str], env: dict, log_dir: Path, port: int | None = None) -> Proc:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    # Started from the main thread only: PR_SET_PDEATHSIG follows the thread that forked.
    # The child keeps its own copy of the log's descriptor; ours closes with the block.
    with open(log, "ab") as out:
        popen = subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    return Proc(name, popen, log, port)


def app_env(
    database_url: str,
    *,
    secret: str = "test-secret",
    config: str = "testing",
    message_queue: str = "",
    channel: str = "",
    extra: dict | None = None,
) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env.update(
        FLASK_CONFIG=config,
        DATABASE_URL=database_url,
        SECRET_KEY=secret,
        SOCKETIO_MESSAGE_QUEUE=message_queue,
        PYTHONUNBUFFERED="1",
    )
    if channel:
        env["SOCKETIO_CHANNEL"] = channel
    env.update(extra or {})
    return env


def start_web(
    name: str, port: int, env: dict, log_dir: Path, app: str = "wsgi:app", python: str = sys.executable
) -> Proc:
    """One gunicorn process with one gevent worker, as deploy/ runs it."""
    gunicorn = str(Path(python).with_name("gunicorn"))
    env = dict(env, PORT=str(port), BMA_INSTANCE=name, SOCKETIO_ASYNC_MODE="gevent")
    return _spawn(name, [gunicorn, "-c", str(GUNICORN_CONF), app], env, log_dir, port)


def start_scheduler(name: str, env: dict, log_dir: Path, *args: str, python: str = sys.executable) -> Proc:
    env = dict(env, BMA_INSTANCE=name, SOCKETIO_ASYNC_MODE="threading")
    return _spawn(name, [python, "-m", "app.jobs_runner", *args], env, log_dir)


def get(port: int, path: str, headers: dict | None = None, timeout: float = 3.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def wait_healthy(proc: Proc, timeout: float = 30.0, port: int | None = None) -> dict:
    end = time.monotonic() + timeout
    port = port or proc.port
    last = None
    while time.monotonic() < end:
        if not proc.alive:
            raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}):\n{proc.tail()}")
        try:
            status, _, body = get(port, "/healthz", timeout=2.0)
            if status == 200:
                return json.loads(body)
            last = status
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} not healthy after {timeout}s ({last}):\n{proc.tail()}")


# ---- nginx ------------------------------------------------------------------------------------

NGINX_CONF = """# generated by bench/cluster.py: the shipped maps and locations, test ports
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile {nofile};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
{user}
events {{ worker_connections {connections}; }}
http {{
    access_log {access};
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {repo}/deploy/nginx/bma-recruit-maps.conf;
    upstream bma_recruit {{
        hash $bma_route consistent;
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        # tests only: which process answered (the shipped site does not reveal this)
        add_header X-Upstream $upstream_addr always;
        include {repo}/deploy/nginx/bma-recruit-locations.conf;
    }}
}}
"""


def nginx_available() -> bool:
    return os.path.exists(NGINX)


def start_nginx(
    port: int, upstream_ports: list[int], tmp: Path, connections: int = 8192, access_log: bool = True
) -> Proc:
    tmp.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in upstream_ports)
    conf = NGINX_CONF.format(
        tmp=tmp,
        repo=REPO,
        port=port,
        servers=servers,
        connections=connections,
        nofile=connections * 2 + 100,
        access=f"{tmp}/access.log" if access_log else "off",
        user="user root root;" if os.geteuid() == 0 else "",
    )
    path = tmp / "nginx.conf"
    path.write_text(conf)
    check = subprocess.run(
        [NGINX, "-t", "-p", str(tmp), "-c", str(path), "-e", str(tmp / "error.log")],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{check.stderr}\n{conf}")
    proc = _spawn(
        "nginx",
        [NGINX, "-p", str(tmp), "-c", str(path), "-e", str(tmp / "error.log")],
        os.environ.copy(),
        tmp,
        port,
    )
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            if not proc.alive:
                break
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not start:\n{proc.tail()}\n{(tmp / 'error.log').read_text()}")


def port_behind(nginx_port: int, route: str) -> int:
    """Which web process (its port) nginx sends a browser with this route cookie to."""
    status, headers, _ = get(nginx_port, "/healthz", {"Cookie": f"bma_route={route}"})
    upstream = {k.lower(): v for k, v in headers.items()}["x-upstream"]
    return int(upstream.split(",")[-1].strip().rsplit(":", 1)[1])


def routes_to(nginx_port: int, ports: list[int], tries: int = 200) -> dict[int, str]:
    """A route cookie value for each web port (hash stickiness is deterministic)."""
    found: dict[int, str] = {}
    for i in range(tries):
        route = f"r{i:04d}"
        found.setdefault(port_behind(nginx_port, route), route)
        if all(p in found for p in ports):
            return found
    raise RuntimeError(f"no route found for each of {ports}: {found}")


# ---- logging in over HTTP (with CSRF when the config has it) -----------------------------------

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _cookies(headers: list[tuple[str, str]], jar: dict) -> None:
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            jar[key.strip()] = rest.split(";", 1)[0]


def _request(port, method, path, jar, body=None, timeout=20.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        _cookies(resp.getheaders(), jar)
        return resp.status, data.decode(errors="replace")
    finally:
        conn.close()


def http_form(port: int, path: str, fields: dict, jar: dict) -> int:
    """GET the form (for its CSRF token, if any), then POST it; returns the POST's status."""
    from urllib.parse import urlencode

    status, page = _request(port, "GET", path, jar)
    match = _TOKEN.search(page)
    if match:
        fields = dict(fields, csrf_token=match.group(1) or match.group(2))
    status, _ = _request(port, "POST", path, jar, urlencode(fields))
    return status


def http_login(port: int, email: str, password: str, jar: dict | None = None) -> str:
    """Log in like a browser; returns the Cookie header value (session and any route cookie)."""
    jar = {} if jar is None else jar
    status = http_form(port, "/accounts/login", {"email": email, "password": password}, jar)
    if status != 302:
        raise RuntimeError(f"login of {email} answered {status}")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def cleanup(procs: list[Proc]) -> None:
    for p in reversed(procs):
        try:
            p.kill(signal.SIGKILL, wait=5.0)
        except Exception:
            pass


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class Cluster:
    """Web processes (and optionally nginx and schedulers) on free loopback ports; a context
    manager that kills every process it started, whatever happens."""

    def __init__(
        self,
        database_url: str,
        tmp: Path,
        *,
        workers: int = 2,
        nginx: bool = True,
        message_queue: str = "redis://127.0.0.1:6379/0",
        channel: str = "",
        config: str = "testing",
        secret: str = "test-secret",
        app: str = "wsgi:app",
        extra_env: dict | None = None,
        nginx_connections: int = 8192,
    ):
        self.tmp = Path(tmp)
        self.logs = self.tmp / "logs"
        # nginx holds two connections per websocket (the browser's and the upstream's)
        self.nginx_connections = nginx_connections
        self.env = app_env(
            database_url,
            secret=secret,
            config=config,
            message_queue=message_queue,
            channel=channel,
            extra=extra_env,
        )
        self.app = app
        self.ports = [free_port() for _ in range(workers)]
        self.want_nginx = nginx
        self.nginx_port: int | None = None
        self.webs: dict[int, Proc] = {}
        self.procs: list[Proc] = []

    def __enter__(self) -> Cluster:
        try:
            for i, port in enumerate(self.ports):
                self.start_web(port, f"w{i + 1}")
            for port in self.ports:
                wait_healthy(self.webs[port])
            if self.want_nginx:
                self.nginx_port = free_port()
                self.procs.append(
                    start_nginx(
                        self.nginx_port, self.ports, self.tmp / "nginx", connections=self.nginx_connections
                    )
                )
        except BaseException:
            self.close()
            raise
        return self

    def start_web(self, port: int, name: str | None = None, wait: bool = False) -> Proc:
        name = name or f"w{self.ports.index(port) + 1}"
        proc = start_web(name, port, self.env, self.logs, app=self.app)
        self.webs[port] = proc
        self.procs.append(proc)
        if wait:
            wait_healthy(proc)
        return proc

    def start_scheduler(self, name: str, *args: str) -> Proc:
        proc = start_scheduler(name, self.env, self.logs, *args)
        self.procs.append(proc)
        return proc

    @property
    def front(self) -> int:
        """The port clients use: nginx when there is one, else the first web process."""
        return self.nginx_port or self.ports[0]

    def logs_text(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail(30)}" for p in self.procs)

    def close(self) -> None:
        cleanup(self.procs)

    def __exit__(self, *exc) -> None:
        self.close()
