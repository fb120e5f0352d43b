"""A light asyncio Socket.IO client (Engine.IO 4 over WebSocket, Socket.IO 5), and a simulated
candidate built on it. Used by bench/exam_load.py and the fault and multi-worker tests.

Why not python-socketio's AsyncClient: thousands of them in one process cost several tasks, an
aiohttp session and a JSON round of packet objects each; this speaks the same wire protocol with
one reader task per connection and plain string handling, so one core drives thousands of
candidates (the load report shows the generator's own CPU share). It supports what the exam
page uses: websocket transport, namespaces, events with acknowledgements, server events, the
server's pings. No polling, no binary packets.

Wire format reminder: Engine.IO `0{open}` `2` ping `3` pong `4<socket.io packet>`; Socket.IO
`0/ns,{auth}` connect, `2/ns,ID[event,data]` event, `3/ns,ID[data]` ack, `4/ns,{...}` refused.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import random
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

_TASKS: set[asyncio.Task] = set()  # strong references: a reader must not be collected mid-read


def run(coro):
    """asyncio.run on uvloop's event loop (the lighter one) for the benchmarks' generator: on
    the machine the servers run on, the generator's CPU comes out of theirs. With the pages'
    naps (SimCandidate._nap), 5,000 answering every 10 s went from 0.43 to 0.24 core
    (docs/performance.md, session 11; the two changes were measured together)."""
    import uvloop

    return uvloop.run(coro)


class Disconnected(Exception):
    """The connection is gone (or never came up)."""


class Refused(Exception):
    """The server refused the namespace connection (not logged in...)."""


def _cancelling() -> bool:
    task = asyncio.current_task()
    return bool(task is not None and task.cancelling())


def _retrieve(fut: asyncio.Future) -> None:
    if not fut.cancelled():
        fut.exception()  # nobody may be waiting any more: do not warn about it


def _wake(fut: asyncio.Future | None) -> None:
    if fut is not None and not fut.done():
        fut.set_result(None)


# stop event -> the candidates napping until it is set (one watcher task per event)
_STOP_WATCHERS: dict[asyncio.Event, set] = {}


def _mask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    if not n:
        return payload
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def _frame(opcode: int, payload: bytes, rsv1: bool = False) -> bytes:
    key = os.urandom(4)
    n = len(payload)
    first = 0x80 | (0x40 if rsv1 else 0) | opcode
    if n < 126:
        head = struct.pack("!BB", first, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", first, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, n)
    return head + key + _mask(payload, key)


# What a browser offers (Chrome, Firefox): permessage-deflate, any window the server picks.
DEFLATE_OFFER = "permessage-deflate; client_max_window_bits"
JOIN_RETRY_S = 2.0  # the page's RETRY_DELAY (app/static/js/outbox.js): a join the server asks to retry


class _Deflate:
    """permessage-deflate as agreed in the handshake's answer (RFC 7692): inflate what the
    server compressed; compress what we send, as browsers do (every message), so the server
    keeps what it keeps for a browser."""

    def __init__(self, answer: str):
        params = [p.strip() for p in answer.split(";")[1:]]
        self.server_reset = "server_no_context_takeover" in params
        self.client_reset = "client_no_context_takeover" in params
        self.client_bits = next(
            (int(p.split("=", 1)[1]) for p in params if p.startswith("client_max_window_bits=")), 15
        )
        self.inflater = zlib.decompressobj(-15)
        self.deflater = None

    def inflate(self, data: bytes) -> bytes:
        out = self.inflater.decompress(data + b"\x00\x00\xff\xff")
        if self.server_reset:
            self.inflater = zlib.decompressobj(-15)
        return out

    def deflate(self, data: bytes) -> bytes:
        if self.deflater is None:
            self.deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -self.client_bits)
        out = self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
        if self.client_reset:
            self.deflater = None
        return out[:-4]


class SioConnection:
    """One websocket with one Socket.IO namespace."""

    def __init__(
        self,
        host: str,
        port: int,
        namespace: str = "/exam",
        cookie: str = "",
        path: str = "/socket.io/",
        deflate: bool = False,
    ):
        self.host, self.port, self.namespace, self.cookie, self.path = (host, port, namespace, cookie, path)
        self.offer_deflate = deflate  # offer permessage-deflate, as browsers do
        self.deflate: _Deflate | None = None  # what the server agreed to, if anything
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.pending: dict[int, asyncio.Future] = {}
        self.ids = itertools.count(1)
        self.handlers: dict[str, Callable] = {}
        self.closed = asyncio.Event()
        self.connected_ns = asyncio.get_running_loop().create_future()
        self.connected_ns.add_done_callback(_retrieve)
        self.sid: str | None = None
        self.route: str | None = None  # a Set-Cookie bma_route from nginx, if any
        self.task: asyncio.Task | None = None
        self.prefix = "" if namespace == "/" else namespace + ","

    def on(self, event: str, handler: Callable) -> None:
        self.handlers[event] = handler

    async def connect(self, timeout: float = 10.0) -> SioConnection:
        try:
            await asyncio.wait_for(self._connect(), timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
            self.abort()
            raise Disconnected(f"connect failed: {exc!r}") from exc
        except BaseException:
            self.abort()
            raise
        return self

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {self.path}?EIO=4&transport=websocket HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if self.cookie:
            lines.append(f"Cookie: {self.cookie}")
        if self.offer_deflate:
            lines.append(f"Sec-WebSocket-Extensions: {DEFLATE_OFFER}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise Disconnected(f"handshake refused: {status.decode(errors='replace')}")
        for line in head.decode(errors="replace").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "set-cookie" and value.strip().startswith("bma_route="):
                self.route = value.strip().split(";", 1)[0].split("=", 1)[1]
            if name.strip().lower() == "sec-websocket-extensions" and "permessage-deflate" in value:
                self.deflate = _Deflate(value.strip())
        opening = await self._read_message()
        if not opening.startswith("0"):
            raise Disconnected(f"unexpected opening packet {opening[:60]!r}")
        self.sid = json.loads(opening[1:])["sid"]
        self.task = asyncio.get_running_loop().create_task(self._read_loop())
        _TASKS.add(self.task)
        self.task.add_done_callback(_TASKS.discard)
        self._send_text(f"40{self.prefix}")
        await self.connected_ns

    async def _read_frame(self) -> tuple[int, bool, bool, bytes]:
        b1, b2 = await self.reader.readexactly(2)
        fin, opcode, n = b1 & 0x80, b1 & 0x0F, b2 & 0x7F
        compressed = bool(b1 & 0x40)
        if n == 126:
            n = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        if b2 & 0x80:  # a server must not mask, but be lenient
            key = await self.reader.readexactly(4)
            return opcode, bool(fin), compressed, _mask(await self.reader.readexactly(n), key)
        return opcode, bool(fin), compressed, await self.reader.readexactly(n)

    async def _read_message(self) -> str:
        parts: list[bytes] = []
        inflate = False
        while True:
            opcode, fin, compressed, data = await self._read_frame()
            if opcode == 0x8:
                raise Disconnected("closed by the server")
            if opcode == 0x9:
                self.writer.write(_frame(0xA, data))
                continue
            if opcode == 0xA:
                continue
            inflate = inflate or compressed  # (RSV1 is set on a message's first frame only)
            parts.append(data)
            if fin:
                message = b"".join(parts)
                if inflate:
                    message = self.deflate.inflate(message)
                return message.decode()

    def _send_text(self, text: str) -> None:
        if self.writer is None or self.writer.is_closing():
            raise Disconnected("not connected")
        if self.deflate is not None:
            self.writer.write(_frame(0x1, self.deflate.deflate(text.encode()), rsv1=True))
        else:
            self.writer.write(_frame(0x1, text.encode()))

    async def _read_loop(self) -> None:
        try:
            while True:
                msg = await self._read_message()
                kind = msg[:1]
                if kind == "2":
                    self._send_text("3")
                elif kind == "4":
                    self._on_packet(msg[1:])
                elif kind == "1":
                    break
        except (Disconnected, OSError, asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._fail_all()

    def _on_packet(self, pkt: str) -> None:
        kind, rest = pkt[:1], pkt[1:]
        if rest.startswith("/"):
            ns, _, rest = rest.partition(",")
        i = 0
        while i < len(rest) and rest[i].isdigit():
            i += 1
        ack_id, body = (int(rest[:i]) if i else None), rest[i:]
        if kind == "0":
            if not self.connected_ns.done():
                self.connected_ns.set_result(json.loads(body) if body else {})
        elif kind == "4":
            if not self.connected_ns.done():
                self.connected_ns.set_exception(Refused(body))
        elif kind == "3":
            fut = self.pending.pop(ack_id, None)
            if fut is not None and not fut.done():
                args = json.loads(body)
                fut.set_result(args[0] if len(args) == 1 else args)
        elif kind == "2":
            args = json.loads(body)
            handler = self.handlers.get(args[0])
            if handler is not None:
                handler(*args[1:])
        elif kind == "1":
            self.abort()

    def _fail_all(self) -> None:
        self.closed.set()
        if not self.connected_ns.done():
            self.connected_ns.set_exception(Disconnected("closed before the namespace connected"))
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(Disconnected("connection lost"))
        self.pending.clear()
        if self.writer is not None and not self.writer.is_closing():
            self.writer.close()
        handler = self.handlers.get("__disconnect__")
        if handler is not None:
            handler()
            self.handlers.pop("__disconnect__", None)

    async def call(self, event: str, data, timeout: float = 10.0):
        """Emit with an ack and wait for it; Disconnected / asyncio.TimeoutError otherwise."""
        if self.closed.is_set():
            raise Disconnected("not connected")
        ack_id = next(self.ids)
        fut = asyncio.get_running_loop().create_future()
        self.pending[ack_id] = fut
        try:
            payload = json.dumps([event, data], separators=(",", ":"))
            self._send_text(f"42{self.prefix}{ack_id}{payload}")
            return await asyncio.wait_for(fut, timeout)
        finally:
            self.pending.pop(ack_id, None)

    def abort(self) -> None:
        """Drop the connection without a goodbye (as a network failure would)."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.writer is not None and not self.writer.is_closing():
            try:
                self.writer.transport.abort()
            except Exception:
                pass
        self._fail_all()

    @property
    def alive(self) -> bool:
        return self.task is not None and not self.closed.is_set()


# ---- a simulated candidate --------------------------------------------------------------------


@dataclass
class Stats:
    connect_s: list[float] = field(default_factory=list)
    ack_s: list[float] = field(default_factory=list)  # answer acks
    question_s: list[float] = field(default_factory=list)  # question fetches
    answers_acked: int = 0
    questions: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    reconnects: int = 0

    def error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    def reset(self) -> None:
        self.connect_s.clear()
        self.ack_s.clear()
        self.question_s.clear()
        self.answers_acked = self.questions = self.reconnects = 0
        self.errors.clear()


class SimCandidate:
    """A candidate's page: join, fetch a question, answer it, every `pace` seconds.

    Like the real page it keeps unacknowledged answers (`unacked`, the page's localStorage) and
    re-sends them after re-joining; `acked[index] = (choice, seq)` is what the server confirmed.
    `seq` only grows. A refusal with `retry` keeps the answer and sends it again.
    """

    def __init__(
        self,
        host: str,
        port: int,
        cookie: str,
        sitting_id: int,
        form: list[list[str]],
        stats: Stats,
        pace: float = 10.0,
        rng: random.Random | None = None,
        namespace: str = "/exam",
        answer_event: str = "answer",
        ack_timeout: float = 10.0,
        fetch_question: bool = True,
        deflate: bool = False,
        page_syncs: bool = False,
    ):
        self.host, self.port, self.cookie, self.sitting_id = host, port, cookie, sitting_id
        self.form, self.stats, self.pace = form, stats, pace
        self.rng = rng or random.Random()
        self.namespace, self.answer_event = namespace, answer_event
        self.ack_timeout, self.fetch_question = ack_timeout, fetch_question
        self.deflate = deflate
        # Send `sync` as the exam page does (exam.js resync): 3 after the first join, none
        # after a later join or at the start (pushed), then every 30 s ± 20% in the waiting
        # room and every 2 minutes once the test is under way (exam.js syncEvery; the bench's
        # sittings are synchronized: a window sitting's waiting room would sync every 5 s).
        self.page_syncs = page_syncs
        self.syncs = 0
        self.sync_from = 0.0  # monotonic: the page's last (re)scheduling of its next sync
        self.first_seen: dict[str, float] = {}  # event name -> monotonic time it first came
        self.arrived: dict[str, asyncio.Event] = {}  # event name -> set when it came
        # Before reconnecting after a drop, wait this long × a random 0.5-1.5 (socket.io's
        # reconnectionDelay and randomizationFactor); 0: at once.
        self.reconnect_delay = 0.0
        self.conn: SioConnection | None = None
        self.seq = 0
        self.next_index = self.rng.randrange(len(form)) if form else 0
        self.unacked: dict[int, tuple[str | None, int]] = {}
        self.acked: dict[int, tuple[str | None, int]] = {}
        self.states: list[dict] = []  # each join's state, with the local time it arrived
        self.events: list[tuple[str, object]] = []
        self.joined = asyncio.Event()
        self.route: str | None = None
        self.answered = 0  # acknowledgements received
        self._waking: asyncio.Future | None = None  # resolved to end the current nap early

    # connecting ------------------------------------------------------------------------------
    async def ensure_joined(self, deadline: float) -> None:
        backoff = 0.2
        while self.conn is None or not self.conn.alive or not self.joined.is_set():
            if _cancelling():
                raise asyncio.CancelledError
            if time.monotonic() > deadline:
                raise Disconnected("could not reconnect in time")
            if self.conn is not None:
                self.stats.reconnects += 1
                if self.reconnect_delay:
                    await asyncio.sleep(self.reconnect_delay * (0.5 + self.rng.random()))
            try:
                await self._connect_and_join()
                return
            except (TimeoutError, Disconnected, Refused, OSError) as exc:
                refused = str(exc).startswith(("join refused", "handshake refused"))
                self.stats.error(f"connect:{exc}" if refused else f"connect:{type(exc).__name__}")
                await asyncio.sleep(backoff * (0.5 + self.rng.random()))
                backoff = min(backoff * 2, 2.0)

    async def _connect_and_join(self) -> None:
        self.joined.clear()
        cookie = self.cookie + (
            f"; bma_route={self.route}" if self.route and "bma_route=" not in self.cookie else ""
        )
        t0 = time.perf_counter()
        conn = SioConnection(self.host, self.port, self.namespace, cookie, deflate=self.deflate)
        for name in (
            "time",
            "announcement",
            "paused",
            "resumed",
            "time_up",
            "started",
            "warning",
            "superseded",
        ):
            conn.on(name, self._keeper(name))
        conn.on("__disconnect__", self._dropped)
        await conn.connect(timeout=self.ack_timeout)
        self.route = self.route or conn.route
        self.conn = conn
        ack = await conn.call("join", {"sitting_id": self.sitting_id}, timeout=self.ack_timeout)
        while ack.get("error") == "retry" and conn.alive:
            # As the page does (app/static/js/outbox.js): the server asks to try again, so the
            # join goes again on this connection after 2 s.
            self.stats.error("join:retry")
            await asyncio.sleep(JOIN_RETRY_S)
            ack = await conn.call("join", {"sitting_id": self.sitting_id}, timeout=self.ack_timeout)
        if not ack.get("ok"):
            conn.abort()
            raise Disconnected(f"join refused: {ack.get('error')}")
        self.stats.connect_s.append(time.perf_counter() - t0)
        if self.page_syncs and not self.states:  # (3 after the first join, none after a re-join)
            self._spawn(self.sync(3))
        self.sync_from = time.monotonic()  # (the page: the next sync in its time)
        state = ack.get("state") or {}
        state["_received"] = time.time()
        self.states.append(state)
        self.joined.set()
        # Re-send what was never acknowledged (the page's localStorage after a reload).
        for index, (choice, seq) in sorted(self.unacked.items()):
            await self._send_answer(index, choice, seq)

    def _dropped(self) -> None:
        """The connection is gone: not joined any more, and a nap ends at once, so the page
        connects again after its reconnection delay as socket.io-client does."""
        self.joined.clear()
        _wake(self._waking)

    async def _nap(self, seconds: float, stop: asyncio.Event | None) -> None:
        """Sleep `seconds`, less if the connection drops or `stop` is set meanwhile: one timer
        per nap. (A candidate that woke every half second to look at the clock cost the
        generator 10,000 wake-ups a second at 5,000 candidates, CPU the servers on the same
        two cores went without.)"""
        if stop is not None:
            if stop.is_set():
                return
            self._watch(stop)
        loop = asyncio.get_running_loop()
        self._waking = fut = loop.create_future()
        timer = loop.call_later(seconds, _wake, fut)
        try:
            await fut
        finally:
            timer.cancel()
            self._waking = None

    def _watch(self, stop: asyncio.Event) -> None:
        watchers = _STOP_WATCHERS.get(stop)
        if watchers is None:
            watchers = _STOP_WATCHERS[stop] = set()

            async def wake_all():
                await stop.wait()
                for c in _STOP_WATCHERS.pop(stop, ()):
                    _wake(c._waking)

            self._spawn(wake_all())
        watchers.add(self)

    def _keeper(self, name):
        def keep(*args):
            self.first_seen.setdefault(name, time.monotonic())
            if name == "started":  # (the page: the next sync in its time, none now)
                self.sync_from = time.monotonic()
            self.arrived.setdefault(name, asyncio.Event()).set()
            self.events.append((name, args[0] if args else None))

        return keep

    # the page's clock syncs ---------------------------------------------------------------------
    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        _TASKS.add(task)
        task.add_done_callback(_TASKS.discard)

    async def sync(self, count: int) -> None:
        for _ in range(count):
            conn = self.conn
            if conn is None or not conn.alive:
                return
            try:
                ack = await conn.call("sync", {"client_time": int(time.time() * 1000)}, self.ack_timeout)
                self.syncs += 1
                if not ack.get("ok"):
                    self.stats.error("sync:" + str(ack.get("error")))
            except (TimeoutError, Disconnected, OSError):
                return

    def under_way(self) -> bool:
        """Whether this candidate's test has started (pushed, or the state of a join)."""
        joined_under_way = bool(self.states) and self.states[-1].get("status") == "in_progress"
        return "started" in self.arrived or joined_under_way

    async def sync_loop(self, stop: asyncio.Event) -> None:
        """As the page of a synchronized sitting (exam.js syncEvery): every 30 s ± 20% in the
        waiting room, every 2 minutes ± 20% once the test is under way, counted again from a
        join or the start (the page schedules its next sync then)."""
        planned = time.monotonic()
        while not stop.is_set():
            every = (120.0 if self.under_way() else 30.0) * (0.8 + 0.4 * self.rng.random())
            await asyncio.sleep(max(0.0, planned + every - time.monotonic()))
            if self.sync_from > planned:  # rescheduled meanwhile: count from then
                planned = self.sync_from
                continue
            if self.joined.is_set() and not stop.is_set():
                await self.sync(1)
            planned = time.monotonic()

    # answering -------------------------------------------------------------------------------
    async def _send_answer(self, index: int, choice, seq: int) -> bool:
        t0 = time.perf_counter()
        ack = await self.conn.call(
            self.answer_event, {"index": index, "choice": choice, "seq": seq}, timeout=self.ack_timeout
        )
        if not ack.get("ok"):
            self.stats.error(ack.get("error") or "refused")
            if ack.get("error") == "retry":
                return False
            self.unacked.pop(index, None)  # a final refusal: the page shows it, no re-send
            return True
        self.stats.ack_s.append(time.perf_counter() - t0)
        self.stats.answers_acked += 1
        self.answered += 1
        stored = (ack.get("choice"), ack.get("seq"))
        if index not in self.acked or self.acked[index][1] <= stored[1]:
            self.acked[index] = stored
        if self.unacked.get(index, (None, -1))[1] <= stored[1]:
            self.unacked.pop(index, None)
        return True

    async def answer_one(self) -> None:
        index = self.next_index
        self.next_index = (self.next_index + 1) % len(self.form)
        if self.fetch_question:
            t0 = time.perf_counter()
            q = await self.conn.call("question", {"index": index}, timeout=self.ack_timeout)
            if q.get("ok"):
                self.stats.question_s.append(time.perf_counter() - t0)
                self.stats.questions += 1
            else:
                self.stats.error("question:" + str(q.get("error")))
        self.seq += 1
        choice = self.rng.choice(self.form[index])
        self.unacked[index] = (choice, self.seq)
        if not await self._send_answer(index, choice, self.seq):
            await asyncio.sleep(0.2 + self.rng.random() * 0.3)
            raise Disconnected("retry later")  # handled like a lost ack: re-join, re-send

    async def run(
        self, until: float, start_delay: float = 0.0, give_up: float = 30.0, stop: asyncio.Event | None = None
    ) -> None:
        """Answer every `pace` seconds until the monotonic time `until` (or `stop`); then settle
        what is still unacknowledged (as the page does before it closes)."""
        await asyncio.sleep(start_delay)
        next_at = time.monotonic() + self.rng.random() * self.pace
        while time.monotonic() < until and not (stop is not None and stop.is_set()):
            if _cancelling():  # asyncio.wait_for may swallow a cancellation: leave anyway
                raise asyncio.CancelledError
            try:
                await self.ensure_joined(time.monotonic() + give_up)
                now = time.monotonic()
                if now < next_at:
                    if self.joined.is_set():
                        await self._nap(max(0.0, min(next_at - now, until - now)), stop)
                    continue
                next_at += self.pace
                if next_at < now:  # fell behind (a long outage): do not burst
                    next_at = now + self.pace
                await self.answer_one()
            except (TimeoutError, Disconnected, Refused, OSError) as exc:
                self.stats.error(type(exc).__name__)
                if self.conn is not None:
                    self.conn.abort()
                self.joined.clear()
        await self.settle(time.monotonic() + give_up)

    async def settle(self, deadline: float) -> None:
        while self.unacked and time.monotonic() < deadline and not _cancelling():
            try:
                await self.ensure_joined(deadline)  # joining re-sends every unacked answer
                if self.unacked:
                    for index, (choice, seq) in sorted(self.unacked.items()):
                        await self._send_answer(index, choice, seq)
                    if self.unacked:
                        await asyncio.sleep(0.3)
            except (TimeoutError, Disconnected, Refused, OSError):
                if self.conn is not None:
                    self.conn.abort()
                self.joined.clear()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.abort()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
