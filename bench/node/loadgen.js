// An independent load generator for bench/exam_start.py (issue 20): the same scenario as the
// project's Python client, with Node's socket.io-client, so neither the client nor its reading
// of the protocol flatters the figures. Each simulated page behaves as the exam page does:
// websocket transport offering permessage-deflate (browsers compress every message: threshold
// 0), socket.io's own reconnection (reconnectionDelay x 0.5-1.5), a join after every connect,
// unacknowledged answers kept and re-sent after re-joining, `seq` only growing.
//
//   node bench/node/loadgen.js config.json      (written by bench/exam_start.py)
//
// Prints one JSON line per phase boundary ({"phase", "at": "begin"|"end"}: the orchestrator
// meters the servers' and this process's CPU between them), each phase's figures as soon as it
// ends ({"part", "data"}) and the result last ({"result"}). It stops by itself after
// cfg.budget_s seconds (what finished by then is printed; the result says "stopped").
"use strict";

const fs = require("fs");
const { io } = require("socket.io-client");

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const base = `http://127.0.0.1:${cfg.port}`;
const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const log = (msg) => out({ log: msg });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, monotonic
const JOIN_RETRY_MS = 2000; // the page's RETRY_DELAY (app/static/js/outbox.js)

function options(cookie) {
  return {
    transports: ["websocket"],
    extraHeaders: { Cookie: cookie },
    forceNew: true,
    reconnection: true,
    reconnectionDelay: cfg.reconnect_delay * 1000,
    randomizationFactor: 0.5,
    reconnectionDelayMax: 5000,
    timeout: cfg.ack_timeout * 1000,
    perMessageDeflate: cfg.deflate ? { threshold: 0 } : false,
  };
}

class Stats {
  constructor() { this.reset(); }
  reset() { this.connect = []; this.ack = []; this.question = []; this.errors = {}; }
  error(kind) { this.errors[kind] = (this.errors[kind] || 0) + 1; }
}
const stats = new Stats();
let syncs = 0;

function spread(values) {
  const v = values.slice().sort((a, b) => a - b);
  const at = (p) => (v.length ? v[Math.min(v.length - 1, Math.max(0, Math.round((p / 100) * (v.length - 1))))] : null);
  const r = (x) => (x === null ? null : Math.round(x * 10) / 10);
  return { n: v.length, p50_ms: r(at(50)), p95_ms: r(at(95)), p99_ms: r(at(99)), max_ms: r(v.length ? v[v.length - 1] : null) };
}

function call(socket, event, data, timeoutS) {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutS * 1000).emit(event, data, (err, ack) => (err ? reject(new Error("timeout")) : resolve(ack)));
  });
}

class Candidate {
  constructor(i) {
    this.i = i;
    this.form = cfg.forms[i];
    this.seq = 0;
    this.next = Math.floor(Math.random() * this.form.length);
    this.unacked = new Map(); // index -> [choice, seq]
    this.acked = new Map();
    this.joined = false;
    this.joinWaiters = [];
    this.started = null; // [ms, payload]
    this.startedWaiters = [];
    this.pace = cfg.pace;
    this.loop = null;
    this.busy = null;
  }

  open() {
    const t0 = now();
    this.socket = io(`${base}/exam`, options(cfg.cookies[this.i]));
    this.socket.on("connect", () => this.onConnect(t0));
    this.socket.on("disconnect", () => { this.joined = false; });
    this.socket.on("connect_error", (err) => {
      stats.error("connect_error");
      // As the page does (outbox.js): a connect the server refused with "retry" (every
      // database connection busy) goes again after 2 s; socket.io does not retry it itself.
      const socket = this.socket;
      if (err && err.message === "retry") {
        setTimeout(() => { if (socket === this.socket && !socket.connected) socket.connect(); }, JOIN_RETRY_MS);
      }
    });
    this.socket.on("started", (payload) => {
      if (this.started) return;
      this.started = [now(), payload];
      this.scheduleSync(); // (the page: the next sync in its time, none now)
      this.startedWaiters.splice(0).forEach((w) => w());
    });
    return this.whenJoined(120);
  }

  // As the page does (app/static/js/outbox.js connect): join after every connect; a join the
  // server asks to retry, or that got no answer while connected, goes again after 2 s.
  async onConnect(t0) {
    const socket = this.socket;
    try {
      const ack = await call(socket, "join", { sitting_id: cfg.sitting_id }, cfg.ack_timeout);
      if (!ack || !ack.ok) {
        stats.error("join:" + (ack && ack.error));
        if (ack && ack.error === "retry") this.joinAgain(socket, t0);
        return;
      }
      stats.connect.push(now() - (this.connectFrom || t0));
      this.connectFrom = null;
      this.joined = true;
      this.joins = (this.joins || 0) + 1;
      if (cfg.page_syncs && !this.everJoined) this.sync(3); // (a re-join: none, as the page)
      else this.scheduleSync(); // (... the next one in its time)
      this.everJoined = true;
      this.joinWaiters.splice(0).forEach((w) => w());
      for (const [index, [choice, seq]] of [...this.unacked].sort((a, b) => a[0] - b[0])) {
        await this.send(index, choice, seq).catch(() => {});
      }
    } catch (e) {
      stats.error("join:timeout");
      this.joinAgain(socket, t0);
    }
  }

  joinAgain(socket, t0) {
    setTimeout(() => {
      if (socket === this.socket && socket.connected && !this.joined) this.onConnect(t0);
    }, JOIN_RETRY_MS);
  }

  // The exam page's clock syncs (exam.js resync): 3 after the first join, none after a later
  // join or at the start (pushed), then every 30 s ± 20% in the waiting room and every
  // 2 minutes ± 20% once the test is under way (exam.js syncEvery; a synchronized sitting).
  async sync(count) {
    for (let k = 0; k < count; k++) {
      if (!this.joined) return;
      try {
        const ack = await call(this.socket, "sync", { client_time: Date.now() }, cfg.ack_timeout);
        syncs += 1;
        if (!ack.ok) stats.error("sync:" + ack.error);
      } catch (e) {
        return;
      }
    }
  }

  scheduleSync() {
    if (!cfg.page_syncs) return;
    clearTimeout(this.syncTimer);
    this.syncLoop();
  }

  syncLoop() {
    const every = (this.started ? 120000 : 30000) * (0.8 + 0.4 * Math.random());
    this.syncTimer = setTimeout(() => {
      if (this.joined) this.sync(1);
      this.syncLoop();
    }, every);
  }

  whenJoined(timeoutS) {
    if (this.joined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("not joined")), timeoutS * 1000);
      this.joinWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  whenStarted(timeoutS) {
    if (this.started) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // (why: still connected and joined once, or joined again meanwhile — then the join's
      // state carried the start — or not connected)
      const why = () => (!this.socket.connected ? "not connected" : this.joins > 1 ? "joined again" : "joined once");
      const t = setTimeout(() => reject(new Error("no started: " + why())), timeoutS * 1000);
      this.startedWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  async send(index, choice, seq) {
    const t0 = now();
    const ack = await call(this.socket, "answer", { index, choice, seq }, cfg.ack_timeout);
    if (!ack.ok) {
      stats.error(ack.error || "refused");
      if (ack.error !== "retry") this.unacked.delete(index);
      return;
    }
    stats.ack.push(now() - t0);
    const stored = [ack.choice, ack.seq];
    if (!this.acked.has(index) || this.acked.get(index)[1] <= stored[1]) this.acked.set(index, stored);
    if ((this.unacked.get(index) || [null, -1])[1] <= stored[1]) this.unacked.delete(index);
  }

  async answerOne() {
    const index = this.next;
    this.next = (this.next + 1) % this.form.length;
    const t0 = now();
    const q = await call(this.socket, "question", { index }, cfg.ack_timeout);
    if (q.ok) stats.question.push(now() - t0);
    else stats.error("question:" + q.error);
    this.seq += 1;
    const options = this.form[index];
    const choice = options[Math.floor(Math.random() * options.length)];
    this.unacked.set(index, [choice, this.seq]);
    await this.send(index, choice, this.seq);
  }

  run() {
    this.running = true;
    const step = async () => {
      if (!this.running) return;
      const t0 = now();
      if (this.joined) {
        this.busy = this.answerOne().catch((e) => stats.error(e.message === "timeout" ? "TimeoutError" : "Disconnected"));
        await this.busy;
        this.busy = null;
      }
      if (!this.running) return;
      const wait = this.pace > 0 ? Math.max(0, this.pace * 1000 - (now() - t0)) : this.joined ? 0 : 100;
      this.loop = setTimeout(step, wait);
    };
    this.loop = setTimeout(step, this.pace > 0 ? Math.random() * this.pace * 1000 : 0);
  }

  async halt() {
    this.running = false;
    clearTimeout(this.loop);
    if (this.busy) await this.busy;
  }

  drop() {
    // A network failure, not a goodbye: the TCP connection is destroyed under the websocket.
    this.joined = false;
    this.connectFrom = now();
    const ws = this.socket.io.engine && this.socket.io.engine.transport && this.socket.io.engine.transport.ws;
    if (ws && ws._socket) ws._socket.destroy();
    else this.socket.io.engine.close();
  }
}

const result = {};
let finishing = false;

async function main() {
  const cands = cfg.cookies.map((_, i) => new Candidate(i));
  if (cfg.budget_s) {
    setTimeout(() => {
      result.stopped = "time bound";
      log(`time bound reached (${Math.round(cfg.budget_s)} s): stopping with what finished`);
      finish(result, cands, 5000);
    }, cfg.budget_s * 1000).unref();
  }
  if (cfg.page_syncs) cands.forEach((c) => c.syncLoop());

  // 2. the waiting room fills up in a ramp
  let t0 = now();
  const joins = await Promise.allSettled(
    cands.map((c, i) => sleep((i / cfg.join_rate) * 1000).then(() => c.open())),
  );
  result.join = {
    failed: joins.filter((j) => j.status === "rejected").length,
    all_s: Math.round((now() - t0) / 100) / 10,
    ...spread(stats.connect),
    errors: { ...stats.errors },
  };
  out({ part: "join", data: result.join });
  log(`joined ${cands.length - result.join.failed} of ${cands.length}`);
  await sleep(2000);
  out({ phase: "waiting", at: "begin" });
  await sleep(3000);
  out({ phase: "waiting", at: "end" });
  if (cfg.stop_after === "waiting") return finish(result, cands);

  // 3. the proctor starts the sitting
  const proctor = io(`${base}/proctor`, options(cfg.proctor_cookie));
  await new Promise((resolve) => proctor.on("connect", resolve));
  let watchRows = 0;
  if (cfg.watch) watchRows = ((await call(proctor, "watch", { sitting_id: cfg.sitting_id }, 60)).candidates || []).length;
  stats.reset();
  out({ phase: "start", at: "begin" });
  await sleep(200);
  const tStart = now();
  const ack = await call(proctor, "start", { sitting_id: cfg.sitting_id }, 120);
  const ackMs = now() - tStart;
  const screens = await Promise.allSettled(
    cands.map(async (c) => {
      await c.whenStarted(cfg.start_timeout);
      const stateAt = c.started[0] - tStart;
      const pushed = (c.started[1].first_question || {})[cfg.locale];
      if (pushed) return [stateAt, stateAt, true];
      const q = await call(c.socket, "question", { index: 0 }, cfg.start_timeout);
      if (!q.ok) throw new Error("question refused: " + q.error);
      return [stateAt, now() - tStart, false];
    }),
  );
  out({ phase: "start", at: "end" });
  const done = screens.filter((s) => s.status === "fulfilled").map((s) => s.value);
  const failures = {};
  screens.filter((s) => s.status === "rejected").forEach((s) => { failures[s.reason.message] = (failures[s.reason.message] || 0) + 1; });
  result.start = {
    proctor_watch_rows: watchRows,
    proctor_ack: Boolean(ack && ack.ok),
    proctor_ack_ms: Math.round(ackMs * 10) / 10,
    state: spread(done.map((d) => d[0])),
    first_question: spread(done.map((d) => d[1])),
    question_pushed: done.filter((d) => d[2]).length,
    failed: screens.length - done.length,
    failures,
  };
  proctor.disconnect();
  out({ part: "start", data: result.start });

  // 4. paced answering
  cands.forEach((c) => c.run());
  await sleep(cfg.pace * 1000);
  stats.reset();
  out({ phase: "paced", at: "begin" });
  await sleep(cfg.window * 1000);
  out({ phase: "paced", at: "end" });
  result.paced = {
    answers_per_s: Math.round((stats.ack.length / cfg.window) * 10) / 10,
    ack: spread(stats.ack),
    question: spread(stats.question),
    errors: { ...stats.errors },
  };
  out({ part: "paced", data: result.paced });

  // 5. reconnect storm
  if (cfg.reconnect) {
    stats.reset();
    out({ phase: "reconnect", at: "begin" });
    const tDrop = now();
    cands.forEach((c) => c.drop());
    const backs = await Promise.allSettled(
      cands.map((c) => c.whenJoined(cfg.start_timeout * 3).then(() => now() - tDrop)),
    );
    const settled = now() - tDrop;
    out({ phase: "reconnect", at: "end" });
    const good = backs.filter((b) => b.status === "fulfilled").map((b) => b.value);
    result.reconnect = {
      settled_s: Math.round(settled / 10) / 100,
      back: spread(good),
      not_back: backs.length - good.length,
      errors: { ...stats.errors },
    };
    out({ part: "reconnect", data: result.reconnect });
    await sleep(cfg.pace * 1000);
  }

  // 6. closed loop
  await Promise.all(cands.map((c) => c.halt()));
  if (cfg.closed_loop && cfg.stop_after !== "reconnect") {
    const loop = cands.slice(0, cfg.closed_loop);
    loop.forEach((c) => { c.pace = 0; c.run(); });
    await sleep(3000);
    stats.reset();
    const cpu0 = process.cpuUsage();
    out({ phase: "closed", at: "begin" });
    await sleep(cfg.window * 1000);
    out({ phase: "closed", at: "end" });
    const cpu = process.cpuUsage(cpu0);
    result.closed = {
      clients: loop.length,
      pairs_per_s: Math.round((stats.ack.length / cfg.window) * 10) / 10,
      ack: spread(stats.ack),
      errors: { ...stats.errors },
      generator_cores_self: Math.round(((cpu.user + cpu.system) / 1e6 / cfg.window) * 1000) / 1000,
    };
    out({ part: "closed", data: result.closed });
    await Promise.all(loop.map((c) => c.halt()));
  }

  return finish(result, cands);
}

async function finish(result, cands, settleMs = 30000) {
  if (finishing) return;
  finishing = true;
  // 7. settle what is unacknowledged, then leave
  cands.forEach((c) => { c.running = false; clearTimeout(c.loop); });
  const until = now() + settleMs;
  while (cands.some((c) => c.unacked.size) && now() < until) {
    for (const c of cands) {
      if (!c.joined || !c.unacked.size) continue;
      for (const [index, [choice, seq]] of [...c.unacked]) await c.send(index, choice, seq).catch(() => {});
    }
    await sleep(300);
  }
  cands.forEach((c) => clearTimeout(c.syncTimer));
  result.syncs = syncs;
  result.unacked = cands.reduce((n, c) => n + c.unacked.size, 0);
  result.acked = [];
  cands.forEach((c) => c.acked.forEach(([choice, seq], index) => result.acked.push([c.i, index, choice, seq])));
  cands.forEach((c) => c.socket && c.socket.disconnect());
  // (exit once the line is written: process.exit() drops what a pipe has not taken yet, and
  // a 5,000-page result is megabytes: the 5,000 run's result was cut at 64 KB)
  process.stdout.write(JSON.stringify({ result }) + "\n", () => process.exit(0));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(1);
});
