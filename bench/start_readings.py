"""What a run of bench/exam_start.py reads off the machine and the database: latency spreads,
CPU and memory per phase (servers, nginx, PostgreSQL, the generator), lost and duplicated
answers, the event loop's blocks (--monitor) and py-spy's samples (--py-spy)."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import scenario  # noqa: E402
from bench.exam_load import Meter, ms, named_pids  # noqa: E402
from bench.sioclient import percentile  # noqa: E402


def spread(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": ms(percentile(values, 50)),
        "p95_ms": ms(percentile(values, 95)),
        "p99_ms": ms(percentile(values, 99)),
        "max_ms": ms(max(values)) if values else None,
    }


class Phases:
    """CPU and memory of the servers and the generator per named phase; the generator's CPU is
    this process's (Python) or read from /proc for the Node process."""

    def __init__(self, server_pids, generator_pid: int | None, database: str, proxy_pids=None, listener=None):
        self.listener = listener  # (told of each phase's begin and end: --py-spy PHASE)
        groups = {"server": server_pids}
        if proxy_pids is not None:  # (nginx, also counted in the server's figures)
            groups["proxy"] = proxy_pids
        if generator_pid is not None:
            groups["node"] = lambda: [generator_pid]
        if database == "postgresql":
            groups["postgres"] = lambda: named_pids("postgres")
        self.meter = Meter(groups)
        self.results: dict[str, dict] = {}
        self.open: str | None = None

    def begin(self, name: str) -> None:
        self.open = name
        self.meter.start()
        if self.listener is not None:
            self.listener.begin(name)

    def end(self, name: str) -> dict:
        usage = self.meter.stop()
        if self.listener is not None:
            self.listener.end(name)
        if "node_cores" in usage:  # the generator is the Node process, not this one
            usage["generator_cores"] = usage.pop("node_cores")
            usage["generator_rss_mb"] = usage.pop("node_rss_mb")
        self.results[name] = usage
        self.open = None
        return usage


def check_database(app, built, acked_rows: list) -> dict:
    from sqlalchemy import func, select

    from app.audit.models import AuditEntry
    from app.exams.models import AttemptAnswer
    from app.extensions import db

    acked = {}
    for i, index, choice, seq in acked_rows:
        key = (built.candidates[i].attempt_id, index)
        if key not in acked or acked[key][1] <= seq:
            acked[key] = (choice, seq)
    with app.app_context():
        lost = scenario.lost_answers(acked)
        ids = [c.attempt_id for c in built.candidates]
        rows = db.session.execute(
            select(AttemptAnswer.attempt_id, AttemptAnswer.index, func.count())
            .where(AttemptAnswer.attempt_id.in_(ids))
            .group_by(AttemptAnswer.attempt_id, AttemptAnswer.index)
            .having(func.count() > 1)
        ).all()
        starts = db.session.execute(
            select(AuditEntry.object_id, func.count())
            .where(AuditEntry.action == "attempt.start")
            .group_by(AuditEntry.object_id)
            .having(func.count() > 1)
        ).all()
        started = db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "attempt.start")
        )
        db.session.remove()
    return {
        "acked_answers": len(acked),
        "lost": len(lost),
        "lost_examples": [str(x) for x in lost[:5]],
        "duplicate_answer_rows": len(rows),
        "attempts_started": started,
        "attempts_started_twice": len(starts),
    }


# ---- the event loop's blocks (--monitor) ---------------------------------------------------


def blocks_in(log_dir: Path) -> dict:
    """The loop monitor's reports in the web processes' logs (app/common/loop_monitor.py): how
    many, and for each the blocked stack: its innermost frames of our code (app/, bench/) and
    the innermost frame of all, where it blocked."""
    reports, on_cpu = [], []
    for log in sorted(log_dir.glob("w*.log")):
        for chunk in log.read_text(errors="replace").split("event loop blocked for")[1:]:
            cpu = re.search(r"(\d+) ms of it on the CPU", chunk[:200])
            stack = chunk.split("the blocking stack:", 1)[-1].split("\n\n", 1)[0]
            frames = [
                (str(Path(f).relative_to(REPO)) if f.startswith(str(REPO)) else Path(f).name, n, fn)
                for f, n, fn in re.findall(r'File "([^"]+)", line (\d+), in (\S+)', stack)
            ]
            ours = [f"{f}:{n} {fn}" for f, n, fn in frames if f.startswith(("app/", "bench/"))]
            inner = [f"{f}:{n} {fn}" for f, n, fn in frames[-1:]]
            reports.append(ours[-4:] + [x for x in inner if x not in ours])
            # (held the CPU for at least half the limit: computed, not left waiting by the system)
            if cpu and int(cpu.group(1)) >= 50:
                on_cpu.append(reports[-1])

    def counted(stacks) -> list:
        counts: dict[str, int] = {}
        for stack in stacks:
            key = " <- ".join(reversed(stack))
            counts[key] = counts.get(key, 0) + 1
        return sorted(counts.items(), key=lambda kv: -kv[1])[:15]

    held = [
        (float(ms_), generation, int(freed))
        for log in sorted(log_dir.glob("w*.log"))
        for ms_, generation, freed in re.findall(
            r"event loop held (\d+) ms by the garbage collector \(generation (\d+), (\d+) collected\)",
            log.read_text(errors="replace"),
        )
    ]
    collections = [h[0] for h in held]
    by_generation: dict[str, dict] = {}
    for ms_, generation, freed in held:
        g = by_generation.setdefault(generation, {"holds": 0, "ms_max": 0.0, "ms_total": 0.0, "freed": 0})
        g.update(holds=g["holds"] + 1, ms_max=max(g["ms_max"], ms_), ms_total=g["ms_total"] + ms_)
        g["freed"] += freed
    return {
        "blocks": len(reports),
        "on_cpu": len(on_cpu),
        "collector_holds": len(collections),
        "collector_ms_max": max(collections, default=0),
        "collector_ms_total": sum(collections),
        "collector_by_generation": by_generation,
        "stacks": counted(reports),
        "on_cpu_stacks": counted(on_cpu),
    }


# ---- py-spy: where the web processes spend their time under load -------------------------------


def _py_spy() -> str | None:
    found = Path(sys.executable).parent / "py-spy"
    return str(found) if found.exists() else None


class PhaseSampler:
    """py-spy over the whole run (--py-spy) or over one phase (--py-spy paced): started and
    stopped by the phases' boundaries."""

    def __init__(self, workers: list[int], tmp: Path, phase: str):
        self.workers, self.tmp, self.phase = workers, tmp, phase
        self.sampler = Sampler(workers, tmp) if phase == "all" else None

    def begin(self, name: str) -> None:
        if name == self.phase and self.sampler is None:
            self.sampler = Sampler(self.workers, self.tmp)

    def end(self, name: str) -> None:
        if name == self.phase and self.sampler is not None:
            self.sampler.stop()

    def stop(self) -> None:
        if self.sampler is not None:
            self.sampler.stop()

    def summary(self) -> dict:
        return {"phase": self.phase, **(self.sampler.summary() if self.sampler is not None else {})}


class Sampler:
    """py-spy sampling every gunicorn worker of the run (--py-spy; `pip install py-spy`, a bench
    tool, not a dependency) from the start to the end of the scenario; `summary()` counts, over
    all samples, the share in which each of our functions (app/) is on the stack, and the
    innermost frames where the time is spent."""

    def __init__(self, pids: list[int], tmp: Path, rate: int = 50):
        import subprocess

        # (kept after the run, which removes its own files: the last run's raw stacks)
        kept = Path(tempfile.gettempdir()) / "exam_start_py_spy"
        kept.mkdir(exist_ok=True)
        self.files = [kept / f"py-spy-{pid}.txt" for pid in pids]
        self.procs = [
            subprocess.Popen(
                [
                    _py_spy(),
                    "record",
                    "-p",
                    str(pid),
                    "-r",
                    str(rate),
                    "--format",
                    "raw",
                    "-o",
                    str(f),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid, f in zip(pids, self.files, strict=True)
        ]

    def stop(self) -> None:
        import signal as _signal

        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(_signal.SIGINT)  # (py-spy writes its file when interrupted)
        for proc in self.procs:
            try:
                proc.wait(30)
            except Exception:
                proc.kill()

    @staticmethod
    def name(frame: str) -> str:
        """ "join (app/exams/joining.py:95)" -> "join app/exams/joining.py"."""
        func, _, where = frame.partition(" (")
        path = where.rsplit(":", 1)[0]
        if "/app/" in path:
            path = "app/" + path.rsplit("/app/", 1)[1]
        return f"{func} {path}"

    def summary(self, top: int = 15) -> dict:
        total, ours, inner = 0, {}, {}
        for f in self.files:
            if not f.exists():
                continue
            for line in f.read_text(errors="replace").splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                n = int(count)
                total += n
                frames = stack.split(";")
                seen = set()
                for frame in frames:
                    name = self.name(frame)
                    if name.split(" ", 1)[-1].startswith("app/") and name not in seen:
                        seen.add(name)
                        ours[name] = ours.get(name, 0) + n
                leaf = self.name(frames[-1])
                inner[leaf] = inner.get(leaf, 0) + n

        def share(d):
            return [
                (k, round(100 * v / max(total, 1), 1))
                for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]
            ]

        return {"samples": total, "ours_inclusive_pct": share(ours), "innermost_pct": share(inner)}
