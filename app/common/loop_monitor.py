"""Event-loop health for a gevent web process: every time the loop is blocked for longer than a
limit, one warning with the blocked stack (`LOOP_MONITOR_SECONDS`, deploy/gunicorn.conf.py).

gevent's own monitor thread (GEVENT_MONITOR_THREAD_ENABLE) reports a block with the stacks of
**every** greenlet: with thousands of connections (three greenlets each) one report takes longer
to write than the block it reports, so the report blocks the loop in turn and the monitor ends
up reporting itself (seen at 5,000 candidates: 1,168 of 1,211 reports were the monitor's own).
This one notes, at every greenlet switch, which greenlet runs and since when; a real thread
(not gevent's) looks every quarter of the limit and, when one greenlet other than the hub has
run longer than the limit, logs the stack the loop's thread is running at that moment — the
code that holds the loop — once per block.
"""

from __future__ import annotations

import gc
import logging
import sys
import time
import traceback

log = logging.getLogger("bma.loop_monitor")


def start(limit: float) -> None:
    """Watch this thread's gevent loop (call it in the web process's main thread, once)."""
    import gevent
    import greenlet
    from gevent import monkey

    loop_thread = monkey.get_original("_thread", "get_ident")()  # (the OS thread's, not a greenlet's)
    hub = gevent.get_hub()
    # The greenlet running now and since when (set at every switch): a block is one greenlet,
    # not the hub, running longer than the limit. (A busy loop that switches between many
    # short tasks is saturated, not blocked: its latency shows in the acks, not here.)
    # With the loop thread's CPU time at that moment: a greenlet that held the loop while the
    # process had no CPU (the machine saturated: the system ran something else) is told apart
    # from one that computed, or sat in a call that blocks.
    cpu_clock = time.pthread_getcpuclockid(loop_thread)
    running = [hub, time.monotonic(), time.thread_time()]

    def trace(event, args) -> None:
        if event in ("switch", "throw"):
            running[0], running[1], running[2] = args[1], time.monotonic(), time.thread_time()

    def watch() -> None:
        sleep = monkey.get_original("time", "sleep")
        reported = None
        while True:
            sleep(limit / 4)
            current, since, cpu_since = running
            blocked = time.monotonic() - since
            if current is hub or blocked <= limit or reported == since:
                continue
            reported = since
            cpu = time.clock_gettime(cpu_clock) - cpu_since
            frame = sys._current_frames().get(loop_thread)
            stack = "".join(traceback.format_stack(frame)) if frame is not None else "(no frame)\n"
            log.warning(
                "event loop blocked for at least %.0f ms, %.0f ms of it on the CPU (limit %.0f ms); "
                "the blocking stack:\n%s",
                blocked * 1000,
                cpu * 1000,
                limit * 1000,
                stack,
            )

    collecting = [0.0]

    def collector(phase: str, info: dict) -> None:
        # The collector runs inside whatever code allocated: a long one shows above as a block
        # at a random allocation site; said here by name.
        if phase == "start":
            collecting[0] = time.monotonic()
        elif time.monotonic() - collecting[0] > limit:
            log.warning(
                "event loop held %.0f ms by the garbage collector (generation %s, %s collected)",
                (time.monotonic() - collecting[0]) * 1000,
                info.get("generation"),
                info.get("collected"),
            )

    gc.callbacks.append(collector)
    greenlet.settrace(trace)
    monkey.get_original("_thread", "start_new_thread")(watch, ())
