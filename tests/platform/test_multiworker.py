"""Several web processes, as production runs them (deploy/): two gunicorn gevent processes on
their own ports sharing the database and Redis (the Socket.IO message queue), Debian's nginx in
front with the shipped cookie-sticky configuration, and the single scheduler. A candidate on
one process and the proctor on the other see each other's events; when a process is killed its
candidates come back through nginx on the other without losing an answer; the periodic jobs run
once, in whichever scheduler holds the lock."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
import redis

from app.audit.models import AuditEntry
from app.common.clock import now
from app.exams.models import Attempt
from app.extensions import db
from app.jobs_runner import FileLock, PostgresLock, lock_for
from bench import cluster, scenario
from bench.sioclient import SimCandidate, SioConnection, Stats
from tests.support.aio import run_async

pytestmark = pytest.mark.slow
REDIS_URL = "redis://127.0.0.1:6379/0"


def _need_services():
    if not cluster.nginx_available():
        pytest.skip(f"needs Debian's nginx at {cluster.NGINX} (apt-get install nginx)")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError:
        pytest.skip("needs Redis on 127.0.0.1:6379 (the Socket.IO message queue)")


@pytest.fixture
def running(app, tmp_path):
    """Two web processes + nginx on the test database, a Redis channel of this test only."""
    _need_services()
    with cluster.Cluster(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path,
        message_queue=REDIS_URL,
        channel=f"bma-test-{uuid.uuid4().hex}",
    ) as c:
        try:
            yield c
        except BaseException:
            print(c.logs_text())
            raise


async def until(predicate, timeout: float = 10.0, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        await asyncio.sleep(step)
    return False


class Proctor:
    """The proctor's dashboard connection (namespace /proctor), keeping what it is told."""

    def __init__(self, port: int, cookie: str):
        self.port, self.cookie = port, cookie
        self.rows: list[dict] = []

    async def connect(self, sitting_id: int) -> dict:
        self.conn = SioConnection("127.0.0.1", self.port, "/proctor", self.cookie)
        self.conn.on("candidate", self.rows.append)
        self.conn.on("candidates", lambda data: self.rows.extend(data["rows"]))
        self.conn.on("progress", self._progress)
        await self.conn.connect()
        return await self.conn.call("watch", {"sitting_id": sitting_id})

    def _progress(self, data: dict) -> None:
        """Answer counts come in batches: merged into the seat's last row, as the page does."""
        for part in data["rows"]:
            known = self.rows_of(part["seat_id"])
            self.rows.append({**(known[-1] if known else {}), **part})

    def rows_of(self, seat_id: int) -> list[dict]:
        return [r for r in self.rows if r["seat_id"] == seat_id]


def test_events_cross_processes_and_a_killed_process_loses_no_answer(app, running):
    built = scenario.build(4, duration_minutes=60)
    w1, w2 = running.ports
    routes = cluster.routes_to(running.front, [w1, w2])
    first = built.candidates[0]
    acked_all: dict = {}

    async def journey():
        stats = Stats()
        proctor = Proctor(
            running.front, scenario.session_cookie(app, built.proctor_id) + f"; bma_route={routes[w2]}"
        )
        watched = await proctor.connect(built.sitting_id)
        assert watched["ok"] and len(watched["candidates"]) == 4
        # Every candidate's browser carries the route cookie of process 1.
        cands = [
            SimCandidate(
                "127.0.0.1",
                running.front,
                scenario.session_cookie(app, c.user_id) + f"; bma_route={routes[w1]}",
                built.sitting_id,
                c.choices,
                stats,
                pace=0.25,
                ack_timeout=5,
            )
            for c in built.candidates
        ]
        main = cands[0]
        await main.ensure_joined(time.monotonic() + 15)
        before = main.states[-1]
        assert before["status"] == "in_progress" and before["remaining_seconds"] > 50 * 60

        # candidate status: process 1 -> Redis -> the proctor on process 2
        assert await until(lambda: any(r["state"] == "in_progress" for r in proctor.rows_of(first.seat_id)))
        await main.answer_one()
        assert await until(lambda: any(r["answered"] == 1 for r in proctor.rows_of(first.seat_id)))

        # announcement and extension: process 2 -> Redis -> the candidate on process 1
        assert (
            await proctor.conn.call(
                "announce", {"sitting_id": built.sitting_id, "message": "Ten minutes of calm"}
            )
        )["ok"]
        assert await until(
            lambda: any(n == "announcement" and d["message"] == "Ten minutes of calm" for n, d in main.events)
        )
        ext = await proctor.conn.call(
            "extend",
            {
                "sitting_id": built.sitting_id,
                "seat_ids": [first.seat_id],
                "seconds": 300,
                "reason": "fire alarm",
            },
        )
        assert ext["ok"] and ext["changed"] == [first.seat_id]
        assert await until(lambda: any(n == "time" for n, _ in main.events))
        told = next(d for n, d in main.events if n == "time")
        assert told["reason"] == "extension"
        assert told["remaining_seconds"] >= before["remaining_seconds"] + 300 - 30

        # Everyone answers four times a second; process 1 dies in the middle of it.
        stop_at = time.monotonic() + 6
        tasks = [
            asyncio.create_task(c.run(stop_at, start_delay=0.05 * i, give_up=20)) for i, c in enumerate(cands)
        ]
        await asyncio.sleep(2)
        assert all(c.stats.answers_acked for c in cands)
        running.webs[w1].kill()  # SIGKILL to gunicorn's master and worker
        main.unacked[5] = (first.choices[5][2], 10_000)  # answered while the network was down
        await asyncio.wait_for(asyncio.gather(*tasks), 60)

        # They came back through nginx on process 2 (the proctor there saw them return).
        assert all(len(c.states) >= 2 for c in cands), [len(c.states) for c in cands]
        assert stats.reconnects >= len(cands)
        after = main.states[-1]
        elapsed = after["_received"] - before["_received"]
        assert abs(after["remaining_seconds"] - (before["remaining_seconds"] + 300 - elapsed)) <= 3
        assert not any(c.unacked for c in cands)
        assert await until(lambda: proctor.rows_of(first.seat_id)[-1]["state"] == "in_progress")
        assert proctor.conn.alive  # process 2 kept its connections
        for c, seated in zip(cands, built.candidates):
            acked_all.update({(seated.attempt_id, i): v for i, v in c.acked.items()})
            c.close()
        proctor.conn.abort()
        return stats

    stats = run_async(asyncio.wait_for(journey(), 90))
    assert stats.answers_acked > 40
    assert scenario.lost_answers(acked_all) == []
    # The answer given offline was re-sent after the move and stored once.
    assert acked_all[(first.attempt_id, 5)] == (first.choices[5][2], 10_000)
    assert scenario.stored_answers([first.attempt_id])[(first.attempt_id, 5)] == (first.choices[5][2], 10_000)


def wait_log(proc, text: str, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if text in proc.tail(200):
            return True
        assert proc.alive, proc.tail()
        time.sleep(0.1)
    return False


def _submits(attempt_id: int) -> int:
    db.session.remove()
    return db.session.query(AuditEntry).filter_by(action="attempt.submit", object_id=str(attempt_id)).count()


def test_the_jobs_run_once_in_the_scheduler_that_holds_the_lock(app, running):
    built = scenario.build(2, duration_minutes=60)
    a, b = built.candidates
    w1, _ = running.ports
    routes = cluster.routes_to(running.front, [w1])
    first = running.start_scheduler("jobs-1", "--interval", "0.5")
    assert wait_log(first, "running jobs")
    second = running.start_scheduler("jobs-2", "--interval", "0.5")
    assert wait_log(second, "waiting (standby)")

    async def journey():
        cand = SimCandidate(
            "127.0.0.1",
            running.front,
            scenario.session_cookie(app, a.user_id) + f"; bma_route={routes[w1]}",
            built.sitting_id,
            a.choices,
            Stats(),
        )
        await cand.ensure_joined(time.monotonic() + 15)
        # The deadline of candidate A comes in two seconds.
        db.session.get(Attempt, a.attempt_id).deadline = now() + timedelta(seconds=2)
        db.session.commit()
        db.session.remove()
        assert await until(lambda: any(n == "time_up" for n, _ in cand.events), 15)
        cand.close()

    run_async(asyncio.wait_for(journey(), 40))
    assert _submits(a.attempt_id) == 1
    attempt = db.session.get(Attempt, a.attempt_id)
    assert attempt.status == "submitted" and attempt.submitted_by == "deadline"
    assert "running jobs" not in second.tail(200)

    # The first scheduler dies; the standby takes over and does the next deadline, once.
    first.kill()
    db.session.get(Attempt, b.attempt_id).deadline = now() + timedelta(seconds=1)
    db.session.commit()
    end = time.monotonic() + 20
    while time.monotonic() < end and _submits(b.attempt_id) == 0:
        time.sleep(0.2)
    assert _submits(b.attempt_id) == 1, running.logs_text()
    assert "running jobs" in second.tail(200)
    second.stop()
    assert _submits(a.attempt_id) == 1


def test_flask_jobs_run_runs_each_job_and_stops(app, runner):
    from app.jobs_runner import jobs_cli

    result = runner.invoke(jobs_cli, ["run", "--max-seconds", "1.5", "--interval", "0.5"])
    assert result.exit_code == 0, result.output
    assert "exam-deadlines ran" in result.output and "outbox ran 1 (failed 0)" in result.output
    assert "offer-expiry ran 1 (failed 0)" in result.output


def test_a_second_lock_holder_is_refused_until_the_first_lets_go(app):
    one, two = lock_for(app), lock_for(app)
    assert isinstance(
        one, PostgresLock if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else FileLock
    )
    try:
        assert one.acquire() and one.held()
        assert not two.acquire()
        one.release()
        assert two.acquire()
    finally:
        one.release()
        two.release()


def test_the_proctors_start_reaches_the_candidates_of_every_process(app, running):
    """A synchronized sitting's start: the proctor on process 2; two candidates waiting on
    each process, one not connected. Each process starts its own connected candidates and
    sends each page its state with the first question in its language (the peers' channel,
    app/common/peers.py); the one not connected is started too, without a question, and no
    attempt is started twice."""
    built = scenario.build(5, start=False)
    w1, w2 = running.ports
    routes = cluster.routes_to(running.front, [w1, w2])
    stats = Stats()

    async def journey():
        proctor = Proctor(
            running.front, scenario.session_cookie(app, built.proctor_id) + f"; bma_route={routes[w2]}"
        )
        assert (await proctor.connect(built.sitting_id))["ok"]
        cands = [
            SimCandidate(
                "127.0.0.1",
                running.front,
                scenario.session_cookie(app, c.user_id) + f"; bma_route={routes[(w1, w2)[i % 2]]}",
                built.sitting_id,
                c.choices,
                stats,
                ack_timeout=5,
            )
            for i, c in enumerate(built.candidates[:4])
        ]
        for c in cands:
            await c.ensure_joined(time.monotonic() + 15)
            assert c.states[-1]["status"] == "not_started"
        assert (await proctor.conn.call("start", {"sitting_id": built.sitting_id}))["ok"]
        assert await until(lambda: all(any(n == "started" for n, _ in c.events) for c in cands))
        for c in cands:
            started = [d for n, d in c.events if n == "started"]
            assert len(started) == 1 and started[0]["status"] == "in_progress"
            (locale, first), *others = started[0]["first_question"].items()
            assert not others and first["index"] == 0 and first["lang"] == locale
            c.close()
        proctor.conn.abort()

    run_async(asyncio.wait_for(journey(), 60))
    db.session.remove()
    ids = [c.attempt_id for c in built.candidates]
    attempts = db.session.query(Attempt).filter(Attempt.id.in_(ids)).all()
    assert {a.status for a in attempts} == {"in_progress"} and len({a.deadline for a in attempts}) == 1
    starts = (
        db.session.query(AuditEntry)
        .filter(AuditEntry.action == "attempt.start", AuditEntry.object_id.in_([str(i) for i in ids]))
        .count()
    )
    assert starts == 5
