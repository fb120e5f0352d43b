"""Faults during a sitting, against real server processes (gunicorn, gevent; bench/cluster.py)
and simulated candidates that behave like the exam page (bench/sioclient.py: they keep
unacknowledged answers and re-send them after re-joining):
- the server is killed (SIGKILL) while 200 candidates answer, then started again;
- PostgreSQL restarts during the sitting (PostgreSQL runs only);
- Redis goes away while two processes serve, then comes back.
PostgreSQL and Redis are always restored, whatever happens (other tests use them)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid

import pytest
import redis

from bench import cluster, scenario
from bench.sioclient import SimCandidate, SioConnection, Stats
from tests.support.aio import run_async

pytestmark = [pytest.mark.slow, pytest.mark.serial]
REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _candidates(app, built, port: int, stats: Stats, pace: float, route: str = "", **kw):
    extra = f"; bma_route={route}" if route else ""
    return [
        SimCandidate(
            "127.0.0.1",
            port,
            scenario.session_cookie(app, c.user_id) + extra,
            built.sitting_id,
            c.choices,
            stats,
            pace=pace,
            **kw,
        )
        for c in built.candidates
    ]


def _close(cands) -> None:
    for c in cands:
        c.close()


def _acked(cands, built) -> dict:
    return {(s.attempt_id, i): v for c, s in zip(cands, built.candidates) for i, v in c.acked.items()}


def _remaining_is_right(cand: SimCandidate, slack: float = 3.0) -> bool:
    """The time left at the last join is the time left at the first, less the time between,
    plus any time the platform gave back for an outage (a restart slower than the outage
    threshold, as on a loaded machine, is one: docs/realtime.md)."""
    first, last = cand.states[0], cand.states[-1]
    given_back = (last.get("outage_seconds") or 0) - (first.get("outage_seconds") or 0)
    expected = first["remaining_seconds"] - (last["_received"] - first["_received"]) + given_back
    return abs(last["remaining_seconds"] - expected) <= slack


async def until(predicate, timeout: float, what: str, step: float = 0.1) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting until {what}")
        await asyncio.sleep(step)


def _start(cands, stop: asyncio.Event, give_up: float = 60.0):
    far = time.monotonic() + 600
    return [
        asyncio.create_task(c.run(far, start_delay=(i % 50) * 0.02, give_up=give_up, stop=stop))
        for i, c in enumerate(cands)
    ]


async def _finish(tasks, stop: asyncio.Event, cands) -> None:
    """The pages stop answering and settle what is still unacknowledged; on any way out."""
    stop.set()
    try:
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
    finally:
        _close(cands)


def test_kill_9_while_200_candidates_answer_then_restart(app, tmp_path):
    built = scenario.build(200, duration_minutes=90)
    with cluster.Cluster(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=1, nginx=False, message_queue=""
    ) as server:
        port = server.ports[0]

        async def sitting():
            stats, stop = Stats(), asyncio.Event()
            cands = _candidates(app, built, port, stats, pace=5.0, ack_timeout=10)
            tasks = _start(cands, stop)
            try:
                await until(lambda: all(c.answered for c in cands), 40, "everyone has answered")
                server.webs[port].kill()  # kill -9, gunicorn's master and worker
                marks = [c.answered for c in cands]
                await asyncio.sleep(0.5)
                restarted = server.start_web(port, "w1-restarted")
                await asyncio.to_thread(cluster.wait_healthy, restarted)
                await until(
                    lambda: all(len(c.states) >= 2 and c.answered > m for c, m in zip(cands, marks)),
                    60,
                    "everyone is back and answering",
                )
            finally:
                await _finish(tasks, stop, cands)
            return stats, cands

        try:
            stats, cands = run_async(asyncio.wait_for(sitting(), 150))
        except BaseException:
            print(server.logs_text())
            raise
    # Every candidate came back, with the right time left, and re-sent what was not acked.
    assert all(_remaining_is_right(c) for c in cands)
    assert all(c.states[-1]["status"] == "in_progress" for c in cands)
    assert not any(c.unacked for c in cands)
    acked = _acked(cands, built)
    assert scenario.lost_answers(acked) == []
    # ... and each answer is stored once, as the newest version the candidate gave.
    stored = scenario.stored_answers([c.attempt_id for c in built.candidates])
    assert set(stored) == set(acked)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="restarts PostgreSQL: only on a PostgreSQL run",
)
def test_postgresql_restart_refuses_with_retry_then_recovers_without_a_restart(app, tmp_path):
    built = scenario.build(40, duration_minutes=90)
    version = os.listdir("/etc/postgresql")[0]
    restart = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
    with cluster.Cluster(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=1, nginx=False, message_queue=""
    ) as server:
        port = server.ports[0]
        web = server.webs[port]
        pid = web.popen.pid

        async def sitting():
            stats, stop = Stats(), asyncio.Event()
            cands = _candidates(app, built, port, stats, pace=0.25, ack_timeout=10)
            tasks = _start(cands, stop)
            try:
                await until(lambda: all(c.answered >= 3 for c in cands), 40, "everyone answers")
                try:
                    done = await asyncio.to_thread(
                        subprocess.run, restart, capture_output=True, text=True, timeout=60
                    )
                finally:
                    await asyncio.to_thread(_ensure_postgresql, version)
                assert done.returncode == 0, done.stderr
                marks = [c.answered for c in cands]
                await until(
                    lambda: all(c.answered >= m + 3 for c, m in zip(cands, marks)),
                    40,
                    "everyone answers again",
                )
            finally:
                await _finish(tasks, stop, cands)
            return stats, cands

        try:
            stats, cands = run_async(asyncio.wait_for(sitting(), 120))
        except BaseException:
            print(server.logs_text())
            raise
        finally:
            _ensure_postgresql(version)
        assert web.alive and web.popen.pid == pid  # recovered without a restart
        log = web.tail(400)
    # Answers in flight were refused as retryable (or their connection dropped), not acked.
    assert stats.errors.get("retry", 0) + stats.reconnects > 0, (stats.errors, log[-2000:])
    assert not any(c.unacked for c in cands)
    assert scenario.lost_answers(_acked(cands, built)) == []


def _ensure_postgresql(version: str) -> None:
    ready = ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]
    if subprocess.run(ready).returncode != 0:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], timeout=60)
    end = time.monotonic() + 30
    while subprocess.run(ready).returncode != 0 and time.monotonic() < end:
        time.sleep(0.5)


def test_redis_down_answers_still_saved_and_broadcasts_resume(app, tmp_path):
    if not cluster.nginx_available():
        pytest.skip(f"needs Debian's nginx at {cluster.NGINX} (apt-get install nginx)")
    if not _redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379 (the Socket.IO message queue)")
    built = scenario.build(3, duration_minutes=90)
    with cluster.Cluster(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path,
        workers=2,
        message_queue=REDIS_URL,
        channel=f"bma-test-{uuid.uuid4().hex}",
    ) as c:
        w1, w2 = c.ports
        routes = cluster.routes_to(c.front, [w1, w2])

        async def sitting():
            stats = Stats()
            cands = _candidates(app, built, c.front, stats, pace=0.3, route=routes[w1])
            proctor = SioConnection(
                "127.0.0.1",
                c.front,
                "/proctor",
                scenario.session_cookie(app, built.proctor_id) + f"; bma_route={routes[w2]}",
            )
            await proctor.connect()
            assert (await proctor.call("watch", {"sitting_id": built.sitting_id}))["ok"]
            stop = asyncio.Event()
            tasks = _start(cands, stop)
            try:
                await until(lambda: all(c.answered for c in cands), 30, "everyone answers")

                async def announcement_arrives(text: str, timeout: float) -> bool:
                    end = time.monotonic() + timeout
                    while time.monotonic() < end:
                        ack = await proctor.call(
                            "announce", {"sitting_id": built.sitting_id, "message": text}
                        )
                        assert ack["ok"]  # stored whatever Redis does
                        await asyncio.sleep(0.5)
                        if any(
                            n == "announcement" and d["message"] == text
                            for cand in cands
                            for n, d in cand.events
                        ):
                            return True
                    return False

                assert await announcement_arrives("before", 10)
                down = subprocess.run(
                    ["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"],
                    capture_output=True,
                    text=True,
                    timeout=10,
                )
                try:
                    assert not _redis_up(), down.stdout + down.stderr
                    marks = [cand.answered for cand in cands]
                    await until(
                        lambda: all(x.answered >= m + 5 for x, m in zip(cands, marks)),
                        20,
                        "answers are saved and acknowledged without Redis",
                    )
                    # no broadcast crosses without Redis
                    assert not await announcement_arrives("during", 2)
                finally:
                    if not _redis_up():
                        subprocess.run(REDIS_START, timeout=20)
                end = time.monotonic() + 10
                while not _redis_up() and time.monotonic() < end:
                    await asyncio.sleep(0.2)
                # The processes' listeners reconnect (with back-off): broadcasts cross again.
                assert await announcement_arrives("after", 30)
            finally:
                proctor.abort()
                await _finish(tasks, stop, cands)
            return stats, cands

        try:
            stats, cands = run_async(asyncio.wait_for(sitting(), 120))
        except BaseException:
            print(c.logs_text())
            raise
        finally:
            if not _redis_up():
                subprocess.run(REDIS_START, timeout=20)
    assert not any(cand.unacked for cand in cands)
    assert scenario.lost_answers(_acked(cands, built)) == []
    assert all(len(cand.states) == 1 for cand in cands)  # nobody was disconnected
