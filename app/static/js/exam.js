/* The Part A online test in the browser: the system check of the check-in page and the test page
 * (waiting room, questions, timer, submission). Implements the /exam protocol of
 * docs/realtime.md. Every text shown comes from the page's #exam-messages JSON (translated on the
 * server), so this file holds no language. Answers go to a localStorage outbox first and leave it
 * only when the server has acknowledged them after its commit (the outbox and the connection are
 * shared with panel.js: static/js/outbox.js, loaded before this file). */
(function () {
  "use strict";

  var live = window.BmaLive;
  var SOCKET_OPTIONS = live.SOCKET_OPTIONS;
  var ACK_TIMEOUT = live.ACK_TIMEOUT;

  // ---- small helpers ------------------------------------------------------------------------

  var $ = live.$, readJSON = live.readJSON, el = live.el;

  /* A translated message; "{name}" placeholders are filled from params. */
  var t = live.translator(readJSON("exam-messages"));

  function median(values) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    var mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  /* One `sync` round trip: {rtt, offset, ack} (offset = server clock - this device's clock). */
  function syncOnce(socket, done) {
    var sent = Date.now();
    socket.timeout(ACK_TIMEOUT).emit("sync", { client_time: sent }, function (err, ack) {
      var received = Date.now();
      if (err || !ack || !ack.ok || typeof ack.server_ms !== "number") return done(null);
      var rtt = received - sent;
      done({ rtt: rtt, offset: ack.server_ms - (sent + rtt / 2), ack: ack });
    });
  }

  /* `count` syncs one after another; the medians of RTT and offset, and the last ack. */
  function syncMany(socket, count, done) {
    var samples = [], tries = 0;
    (function next() {
      if (tries >= count) {
        if (!samples.length) return done(null);
        return done({
          rtt: median(samples.map(function (s) { return s.rtt; })),
          offset: median(samples.map(function (s) { return s.offset; })),
          ack: samples[samples.length - 1].ack
        });
      }
      tries += 1;
      syncOnce(socket, function (sample) {
        if (sample) samples.push(sample);
        next();
      });
    })();
  }

  // ---- the check-in page: system check --------------------------------------------------------

  function systemCheck(section) {
    var result = $("syscheck-result");
    var again = $("syscheck-again");
    var fields = { ws: $("websocket_ok"), rtt: $("rtt_ms"), offset: $("clock_offset_ms") };
    var socket = null, run = 0;

    function show(lines, failed) {
      result.textContent = "";
      lines.forEach(function (line) { result.appendChild(el("p", { text: line })); });
      result.className = failed ? "syscheck-failed" : "syscheck-ok";
    }

    function setFields(ws, rtt, offset) {
      if (fields.ws) fields.ws.value = ws;
      if (fields.rtt) fields.rtt.value = rtt;
      if (fields.offset) fields.offset.value = offset;
    }

    function stop() {
      if (socket) { socket.off(); socket.disconnect(); socket = null; }
    }

    function start() {
      var mine = ++run, finished = false;
      stop();
      again.hidden = true;
      show([t("checking")], false);
      if (typeof window.io !== "function") return fail();

      function fail() {
        if (finished || mine !== run) return;
        finished = true;
        stop();
        setFields("0", "", "");
        show([t("failed")], true);
        again.hidden = false;
      }

      var timer = setTimeout(fail, 15000);
      socket = window.io("/exam", Object.assign(
        { reconnection: false, timeout: 8000, forceNew: true }, SOCKET_OPTIONS));
      socket.on("connect_error", function () { clearTimeout(timer); fail(); });
      socket.on("connect", function () {
        var sock = socket;
        syncMany(sock, 5, function (summary) {
          clearTimeout(timer);
          if (finished || mine !== run) return;
          if (!summary) return fail();
          finished = true;
          var websocket = sock.io.engine && sock.io.engine.transport &&
            sock.io.engine.transport.name === "websocket";
          var rtt = Math.round(summary.rtt), offset = Math.round(summary.offset);
          setFields(websocket ? "1" : "0", String(rtt), String(offset));
          var quality = rtt < 300 ? t("rtt_good") : rtt < 1000 ? t("rtt_fair") : t("rtt_slow");
          show([
            websocket ? t("ws_ok") : t("polling_ok"),
            t("rtt", { ms: rtt, quality: quality }),
            Math.abs(offset) < 1000 ? t("clock_same")
              : t("clock_off", { seconds: (Math.abs(offset) / 1000).toFixed(1) })
          ], false);
          again.hidden = false;
          stop();
        });
      });
    }

    again.addEventListener("click", start);
    start();
  }

  // ---- the test page ------------------------------------------------------------------------

  function examPage(root) {
    var cfg = readJSON("exam-config");
    // A superseded page no longer writes (the new one owns the outbox).
    var store = live.keyedStore("bma-exam", cfg.attempt_id, function () { return !stopped; });
    var locale = cfg.locale === "en" ? "en-GB" : "th-TH";

    // What this page knows.
    var state = null;               // the server's state, kept up to date with local changes
    var current = 0;                // index of the question shown
    var questions = {};             // index -> question (text never changes during a test)
    // Answers {index, choice, seq} not yet acknowledged, in order, at most one per question.
    var outbox = new live.Outbox(store, function (entry) { return entry.index; });
    var saveState = {};             // index -> "saved" | "saving" | "offline"
    var offset = 0, synced = false; // server clock - device clock (ms)
    var clockResyncs = 0;           // times the device's clock was seen set (clockWasSet)
    var deadlineMs = null;          // the server's deadline (ms since epoch, server clock)
    var frozenSeconds = null;       // remaining seconds while paused
    var joined = false, stopped = false, ended = false;
    var paused = false, timeUp = false, pauseReason = "";
    var lastRemaining = null, announced = {}, shownSeconds = null;
    var stateTimer = null, syncTimer = null, clockTimer = null;
    var lastFocusLoss = 0, blurTimer = null, submitting = false;
    var canStart = false, starting = false, endReason = "";

    var views = {
      loading: $("exam-loading"), waiting: $("exam-waiting"), test: $("exam-test"),
      end: $("exam-end"), stopped: $("exam-stopped")
    };

    function showView(name) {
      Object.keys(views).forEach(function (key) {
        if (views[key]) views[key].hidden = key !== name;
      });
    }

    function applyAccommodations(largeText, highContrast) {
      document.body.classList.toggle("exam-large-text", !!largeText);
      document.body.classList.toggle("exam-high-contrast", !!highContrast);
    }
    applyAccommodations(cfg.large_text, cfg.high_contrast);

    // -- messages to the candidate --

    function say(text) {  // screen readers, politely (time points, saved answers)
      var region = $("exam-sr-status");
      if (!region) return;
      region.textContent = "";
      setTimeout(function () { region.textContent = text; }, 50);
    }

    /* Live regions stay in the page (empty when there is nothing to say): screen readers only
       follow regions that exist before their text changes. */
    function notice(text) {  // visible, for a moment-to-moment problem (an answer refused...)
      var box = $("exam-notice");
      if (box) box.textContent = text || "";
    }

    function announce(message, at) {
      var list = $("exam-announcements");
      if (!list) return;
      var when = at ? formatClock(Date.parse(at), false) : "";
      list.appendChild(el("p", { class: "exam-announcement" }, [
        el("strong", { text: t("announcement") + (when ? " (" + when + ")" : "") + ": " }),
        message
      ]));
    }

    /* Every change of the candidate's time (an extension, time given back, an outage, a pause
       and the resumption) stays written on the page with the time it happened, for sighted
       candidates as well as screen readers: a timer that jumps with no word is alarming. */
    function timeChanged(text) {
      var list = $("exam-time-changes");
      if (list) {
        list.appendChild(el("li", { class: "exam-time-change" }, [
          el("strong", { text: formatClock(serverNow(), false) + " " }),
          text
        ]));
        $("exam-time-changes-box").hidden = false;
      }
      say(text);
    }

    function banner(text, kind) {
      var node = $("exam-connection");
      if (!node) return;
      node.textContent = text || "";
      node.className = "exam-banner" + (kind ? " exam-banner-" + kind : "");
    }

    // -- time --

    function serverNow() { return Date.now() + offset; }

    function formatClock(ms, seconds) {
      var options = { timeZone: "Asia/Bangkok", hour: "2-digit", minute: "2-digit" };
      if (seconds) options.second = "2-digit";
      try { return new Intl.DateTimeFormat(locale, options).format(new Date(ms)); } catch (e) {
        return new Date(ms).toTimeString().slice(0, seconds ? 8 : 5);
      }
    }

    /* The server's deadline; during a pause an extension moves the frozen time by as much. */
    function setDeadline(deadline, serverTime) {
      if (serverTime && !synced) offset = Date.parse(serverTime) - Date.now();
      var previous = deadlineMs;
      deadlineMs = deadline ? Date.parse(deadline) : null;
      if (paused && previous !== null && deadlineMs !== null && frozenSeconds !== null) {
        frozenSeconds = Math.max(0, frozenSeconds + Math.round((deadlineMs - previous) / 1000));
      }
    }

    function remainingSeconds() {
      if (paused && frozenSeconds !== null) return frozenSeconds;
      if (deadlineMs === null) return null;
      return Math.max(0, Math.ceil((deadlineMs - serverNow()) / 1000));
    }

    function mmss(seconds) {
      var m = Math.floor(seconds / 60), s = seconds % 60;
      return (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    }

    var ANNOUNCE_AT = [30, 15, 10, 5, 1];

    function announceMinutes(minutes) {
      if (announced[minutes]) return;
      announced[minutes] = true;
      say(minutes === 1 ? t("one_minute_left") : t("minutes_left", { minutes: minutes }));
    }

    function tick() {
      if (stopped || ended) return;
      if (clockMoved()) clockWasSet();
      // (the offset is being measured again: the timer waits, for a few seconds at most)
      if (clockDoubt !== null && performance.now() - clockDoubt < CLOCK_DOUBT_MS) return;
      if (state && state.status === "not_started") {
        var clock = $("exam-server-clock");
        if (clock) clock.textContent = formatClock(serverNow(), true);
        return;
      }
      if (!state || state.status !== "in_progress") return;
      var left = remainingSeconds();
      if (left === null) return;
      if (left !== shownSeconds) {
        shownSeconds = left;
        var timer = $("exam-timer");
        if (timer) {
          timer.textContent = mmss(left);
          timer.classList.toggle("exam-timer-low", left <= 300);
        }
      }
      if (lastRemaining !== null && !paused) {
        ANNOUNCE_AT.forEach(function (m) {
          if (lastRemaining > m * 60 && left <= m * 60) announceMinutes(m);
        });
      }
      lastRemaining = left;
      var over = left <= 0 && !paused;
      if (over !== timeUp) {
        timeUp = over;
        if (timeUp) {
          notice(t("time_up_waiting"));
          say(t("time_up_waiting"));
          watchState(5000);
        } else {
          clearInterval(stateTimer);
          notice("");
        }
        updateControls();
      }
    }

    // -- the connection --

    if (typeof window.io !== "function") {
      $("exam-loading").textContent = t("no_client");
      return;
    }
    var connection = live.connect("/exam", {
      joinData: function () { return { sitting_id: cfg.sitting_id }; },
      stopped: function () { return stopped; },
      connected: function (again) {
        if (again) {
          banner(t("reconnected"), "ok");
          setTimeout(function () { if (socket.connected) banner(""); }, 4000);
        } else {
          banner("");
        }
      },
      joined: function (s) {
        joined = true;
        applyState(s);
        // After a re-join the clock's offset is still known (a blip does not move the clocks),
        // and the state carries the deadline: no sync now (a whole hall re-joins in the same
        // seconds after a network blip), the next one in its time.
        if (synced) scheduleSync();
        else resync();
        flush();
      },
      refused: function (ack) {
        // (unauthorized: the session ended after the page connected; the join checks it)
        if (ack.error === "unauthorized") banner(t("login_again"), "error");
        $("exam-loading").textContent = ack.message || t("cannot_connect");
        showView("loading");
      },
      disconnected: function (reason) {
        joined = false;
        outbox.connectionLost();
        if (stopped || ended) return;
        if (reason === "io server disconnect") {
          // The server closes a connection itself only when a newer one took over: never fight
          // back by reconnecting (the `superseded` event may have been lost with the connection).
          supersede();
          return;
        }
        outbox.entries.forEach(function (entry) { saveState[entry.index] = "offline"; });
        renderSaveStatus();
        renderPalette();
        banner(t("offline"), "error");
      },
      connectFailed: function (why) {
        if (stopped || ended) return;
        if (why.refused) banner(t("login_again"), "error");  // the session has ended
        else banner(why.again ? t("offline") : t("cannot_connect"), "error");
      }
    });
    var socket = connection.socket, join = connection.join;

    /* Ask for the state again (a re-join; cheap and idempotent), at most every few seconds. */
    function refreshState() {
      if (!joined || stopped) return;
      join();
    }

    function watchState(every) {
      clearInterval(stateTimer);
      stateTimer = setInterval(function () {
        if (stopped || ended) { clearInterval(stateTimer); return; }
        refreshState();
      }, every);
    }

    /* Measure the clock offset now (3 samples) and then in its time (syncEvery). */
    var syncRun = 0;
    function resync() {
      var mine = ++syncRun;
      clearTimeout(syncTimer);
      if (stopped || ended || !socket.connected) return;
      // Three samples the first time (their median), one after that: thousands of pages of a
      // sitting sync, and all of them re-join together after a network blip.
      syncMany(socket, synced ? 1 : 3, function (summary) {
        if (mine !== syncRun || stopped || ended) return;
        clockDoubt = null;
        if (summary) {
          offset = summary.offset;
          synced = true;
          var ack = summary.ack;
          if (state && ack.status && ack.status !== state.status) refreshState();
          else if (state && ack.deadline && !paused) setDeadline(ack.deadline);
          if (state && state.status === "not_started" && ack.can_start !== undefined &&
              ack.can_start !== canStart) {
            state.can_start = ack.can_start;
            showWaiting(state);
          }
        }
        syncTimer = setTimeout(resync, syncEvery());
      });
    }

    /* The next sync in its time (syncEvery), none now. */
    function scheduleSync() {
      clearTimeout(syncTimer);
      syncTimer = setTimeout(resync, syncEvery());
    }

    /* How long until the next sync, spread by ±20% so that a whole hall does not sync in step:
       - 5 s in a window sitting's waiting room (it notices the window opening);
       - 30 s in a synchronized sitting's waiting room and during a pause (their start and
         resumption are pushed, `started` and `resumed`; the sync is the way back if a push
         was missed, and a candidate must not wait on it longer than that);
       - 2 minutes while the test runs. The offset does not change unless the device's clock
         is set, and clockMoved notices that at once. Every sync of a test under way reads the
         attempt, and thousands of pages sync (docs/realtime.md). */
    function syncEvery() {
      var waiting = state && state.status === "not_started";
      var every = waiting && cfg.timing_mode === "window" ? 5000
        : waiting || paused || !state ? 30000 : 120000;
      return every * (0.8 + 0.4 * Math.random());
    }

    /* Whether this device's clock was set (or the device slept) since the last look: its wall
       clock (Date.now, which the offset corrects) moved more than 1 s apart from the page's
       monotonic clock (performance.now). */
    var CLOCK_MOVED_MS = 1000;
    var lastWall = Date.now(), lastMono = performance.now();
    function clockMoved() {
      var wall = Date.now(), mono = performance.now();
      var moved = Math.abs((wall - lastWall) - (mono - lastMono)) > CLOCK_MOVED_MS;
      lastWall = wall;
      lastMono = mono;
      return moved;
    }

    /* The device's clock was set, or the device slept (its monotonic clock may stand still
       meanwhile, the wall clock not: the two cannot be told apart). The offset is measured again
       now (three samples), or at the next join: socket.io's client drops the connection itself
       when the wall clock jumps, and joins again within seconds. Meanwhile, for at most
       CLOCK_DOUBT_MS, the timer waits (tick): read naively, a clock set an hour ahead showed
       00:00 and the page took the time as up. After that an offline page goes on with the
       offset it had, which is right after a sleep. */
    var CLOCK_DOUBT_MS = 10000;
    var clockDoubt = null;  // (performance.now() when the clock was seen set, until measured)
    function clockWasSet() {
      clockResyncs += 1;
      clockDoubt = performance.now();
      synced = false;
      resync();
    }

    // -- the state --

    function applyState(s) {
      if (!s || stopped) return;
      var wasStatus = state ? state.status : null;
      state = s;
      state.answers = state.answers || {};
      state.flags = state.flags || [];
      // Local changes not yet acknowledged are newer than what the server has.
      outbox.entries.forEach(function (entry) { setLocalAnswer(entry.index, entryAnswer(entry)); });
      outbox.noteSeqs(Object.keys(s.seqs || {}).map(function (k) { return s.seqs[k]; }));
      applyAccommodations(s.large_text, s.high_contrast);
      paused = s.sitting_status === "paused";
      setDeadline(s.deadline, s.server_time);
      frozenSeconds = paused ? s.remaining_seconds : null;
      showGivenBack(s.outage_seconds);
      if (s.status === "submitted") return showEnd(s);
      if (s.status === "not_started") return showWaiting(s);
      showTest(wasStatus !== "in_progress", wasStatus === "not_started");
    }

    function showWaiting(s) {
      var text;
      var closes = cfg.entry_closes_at ? Date.parse(cfg.entry_closes_at) : null;
      if (s.sitting_status === "ended") text = t("sitting_ended");
      else if (s.sitting_status === "paused") text = t("waiting_paused");
      else if (cfg.timing_mode === "window" && closes !== null && serverNow() > closes) {
        text = t("entry_closed");
      } else if (cfg.timing_mode === "synchronized" && s.sitting_status === "started") {
        text = t("entry_closed");
      } else if (cfg.timing_mode === "window") {
        text = s.can_start ? t("waiting_window_ready")
          : t("waiting_window", { time: formatClock(Date.parse(cfg.starts_at), false) });
      } else {
        text = t("waiting_proctor");
      }
      canStart = cfg.timing_mode === "window" && !!s.can_start && s.sitting_status !== "paused";
      $("exam-waiting-message").textContent = text;
      var start = $("exam-start");
      start.hidden = cfg.timing_mode !== "window";
      start.disabled = !canStart || starting;
      showView("waiting");
      tick();
    }

    /* The candidate presses start (window sittings): the server starts the clock now. */
    $("exam-start").addEventListener("click", function () {
      if (!canStart || starting || stopped) return;
      starting = true;
      $("exam-start").disabled = true;
      socket.timeout(ACK_TIMEOUT).emit("start", {}, function (err, ack) {
        starting = false;
        if (!err && ack && ack.ok) { applyState(ack.state); resync(); return; }
        if (!err && ack && ack.message) notice(ack.message);
        else notice(t("cannot_connect"));
        if (state) showWaiting(state);
      });
    });

    function duration(seconds) {
      var m = Math.floor(seconds / 60), sec = seconds % 60;
      return m ? t("duration_minutes", { minutes: m, seconds: sec }) : t("duration_seconds", { seconds: sec });
    }

    /* Time lost to the server comes back by itself: say so, as long as the test lasts. */
    function showGivenBack(seconds) {
      var box = $("exam-given-back");
      if (!box) return;
      box.hidden = !seconds;
      if (seconds) box.textContent = t("outage_added", { time: duration(seconds) });
    }

    function showTest(justStarted, moveFocus) {
      showView("test");
      $("exam-pause").hidden = !paused;
      if (paused) $("exam-pause-text").textContent = pauseReason
        ? t("paused_reason", { reason: pauseReason }) : t("paused");
      shownSeconds = null;
      tick();
      renderPalette();
      if (justStarted) {
        var left = remainingSeconds();
        say(t("test_started", { minutes: Math.ceil((left || 0) / 60) }));
        showQuestion(current, moveFocus);
      } else {
        renderQuestion();
      }
      updateControls();
    }

    function showEnd(s) {
      ended = true;
      clearInterval(stateTimer);
      clearTimeout(syncTimer);
      outbox.forget();
      var result = $("exam-end-result");
      result.textContent = "";
      if (endReason) result.appendChild(el("p", { class: "exam-end-reason", text: endReason }));
      if (s.result) {
        result.appendChild(el("p", { class: "exam-outcome " + (s.result.passed ? "exam-pass" : "exam-fail") }, [
          el("strong", { text: s.result.passed ? t("passed") : t("not_passed") }),
          " " + t("score", { score: points(s.result.score), max: points(s.result.max_score) })
        ]));
      } else {
        result.appendChild(el("p", { text: t("results_later") }));
      }
      showView("end");
      var heading = $("exam-end-heading");
      if (heading) heading.focus();
      if (!s.result && joined) {
        // time_up from the scheduler carries no result: a join returns it when it may be shown.
        socket.timeout(ACK_TIMEOUT).emit("join", { sitting_id: cfg.sitting_id }, function (err, ack) {
          if (!err && ack && ack.ok && ack.state && ack.state.result) {
            ended = false;
            showEnd(ack.state);
          }
          socket.disconnect();
        });
      } else {
        socket.disconnect();
      }
    }

    function points(value) {
      var n = Number(value);
      return isNaN(n) ? String(value) : String(Math.round(n * 100) / 100);
    }

    // -- answers --

    /* An answer is a choice id (single, true_false), a list of choice ids (multiple), or the
       typed text (numeric, text); null when there is none. docs/realtime.md, "answer". */
    var PAYLOAD_FIELD = { multiple: "choices", numeric: "value", text: "text" };

    function answerOf(index) {
      var a = state && state.answers[String(index)];
      return a === undefined || a === null || (Array.isArray(a) && !a.length) ? null : a;
    }

    function setLocalAnswer(index, value) {
      if (!state) return;
      if (value === null || value === undefined || (Array.isArray(value) && !value.length)) {
        delete state.answers[String(index)];
      } else state.answers[String(index)] = value;
    }

    // (entries kept by an older page hold `choice` only: single-choice answers)
    function entryAnswer(entry) { return "answer" in entry ? entry.answer : entry.choice; }

    function payloadOf(entry) {
      var payload = { index: entry.index, seq: entry.seq };
      payload[PAYLOAD_FIELD[entry.type] || "choice"] = entryAnswer(entry);
      return payload;
    }

    function typeOf(index) {
      var q = questions[index];
      return (q && q.type) || "single";
    }

    function isFlagged(index) { return !!state && state.flags.indexOf(index) !== -1; }

    function setLocalFlag(index, flagged) {
      state.flags = state.flags.filter(function (i) { return i !== index; });
      if (flagged) state.flags.push(index);
    }

    function pendingFor(index) { return outbox.pending(index) !== null; }

    function canAnswer() {
      return !!state && state.status === "in_progress" && !paused && !timeUp && !stopped &&
        !ended && !submitting;
    }

    function answer(index, value) {
      if (!canAnswer()) { renderQuestion(); return; }
      // The outbox first: the answer survives a reload or a lost connection from here on.
      var entry = outbox.add({ index: index, type: typeOf(index), answer: value });
      setLocalAnswer(index, value);
      saveState[index] = joined ? "saving" : "offline";
      renderSaveStatus();
      renderPalette();
      send(entry);
    }

    function send(entry) {
      if (!joined || stopped || ended || paused || !outbox.startSending(entry.seq)) return;
      socket.timeout(ACK_TIMEOUT).emit("answer", payloadOf(entry), function (err, ack) {
          outbox.doneSending(entry.seq);
          if (stopped) return;
          if (err || !ack) {  // no ack: not saved; it stays in the outbox and goes again
            saveState[entry.index] = joined ? "saving" : "offline";
            renderSaveStatus();
            scheduleFlush();
            return;
          }
          if (ack.ok) {
            outbox.stored(entry.seq, ack.seq);
            if (!pendingFor(entry.index)) {
              if (ack.stale) {  // a newer answer was stored (another device): show that one
                setLocalAnswer(ack.index, "answer" in ack ? ack.answer : ack.choice);
                if (ack.index === current) renderQuestion(false, true);
              }
              saveState[entry.index] = "saved";
            }
            renderSaveStatus();
            renderPalette();
            return;
          }
          switch (ack.error) {
            case "time_up":
            case "submitted":
              outbox.drop(entry.seq);
              delete saveState[entry.index];
              notice(t("answer_refused_closed"));
              refreshState();
              break;
            case "bad_answer":
              outbox.drop(entry.seq);
              delete saveState[entry.index];
              notice(ack.message || t("answer_refused"));
              break;
            case "paused":
              paused = true;
              frozenSeconds = remainingSeconds();
              refreshState();
              break;
            case "not_found":  // this connection is not the live one (yet): join again
              refreshState();
              scheduleFlush();
              break;
            default:  // retry, not_started, ...: keep it and send again shortly
              scheduleFlush();
          }
          renderSaveStatus();
          renderPalette();
        });
    }

    function flush() {
      outbox.flush(function (entry) {
        if (joined) saveState[entry.index] = "saving";
        send(entry);
      });
      renderSaveStatus();
      renderPalette();
    }

    function scheduleFlush() {
      outbox.scheduleFlush(flush);
    }

    function toggleFlag(index) {
      if (!canAnswer()) return;
      var flagged = !isFlagged(index);
      setLocalFlag(index, flagged);
      renderFlag();
      renderPalette();
      if (!joined) {
        setLocalFlag(index, !flagged);
        renderFlag();
        renderPalette();
        notice(t("flag_offline"));
        return;
      }
      socket.timeout(ACK_TIMEOUT).emit("flag", { index: index, flagged: flagged }, function (err, ack) {
        if (!err && ack && ack.ok) return;
        setLocalFlag(index, !flagged);
        renderFlag();
        renderPalette();
        notice((ack && ack.message) || t("flag_offline"));
      });
    }

    // -- questions --

    function itemCount() { return state ? state.item_count : 0; }

    function sectionOf(index) {
      var found = null;
      (state ? state.sections : []).forEach(function (s) {
        if (index >= s.start && index < s.start + s.count) found = s;
      });
      return found;
    }

    function sectionTitle(section) {
      if (!section) return "";
      var title = section.title || {};
      return title[cfg.locale] || title.th || title.en || section.code;
    }

    var fetching = {};  // index -> [{done, ahead}] waiting for the same question

    /* `ahead`: a neighbour asked for ahead of time (the server then does not start a timed
       section's clock for it: it answers section_not_open, and the question is asked for
       again when the candidate goes to it; one who went to it while that answer was on its
       way asks again at once). */
    function fetchQuestion(index, done, ahead) {
      done = done || function () {};
      if (index < 0 || index >= itemCount()) return done(null);
      if (questions[index]) return done(questions[index]);
      if (!joined) return done(null);
      if (fetching[index]) { fetching[index].push({ done: done, ahead: !!ahead }); return; }
      fetching[index] = [{ done: done, ahead: !!ahead }];
      var ask = ahead ? { index: index, prefetch: true } : { index: index };
      socket.timeout(8000).emit("question", ask, function (err, ack) {
        var waiting = fetching[index] || [];
        delete fetching[index];
        if (!err && ack && ack.ok) questions[index] = ack.question;
        else if (ack && ack.error === "section_not_open") {
          waiting = waiting.filter(function (w) {
            if (w.ahead) return true;
            fetchQuestion(index, w.done);
            return false;
          });
        } else if (ack && !ack.ok) {
          if (ack.error === "not_found" || ack.error === "not_started" ||
              ack.error === "time_up" || ack.error === "submitted") refreshState();
          if (ack.error === "paused" && !paused) refreshState();
        }
        waiting.forEach(function (w) { w.done(questions[index] || null); });
      });
    }

    function showQuestion(index, moveFocus) {
      if (!state || index < 0 || index >= itemCount()) return;
      current = index;
      renderPalette();
      renderQuestion(moveFocus);
      // Fetch the neighbours ahead of time: they can then be read and answered offline.
      fetchQuestion(index + 1, null, true);
      fetchQuestion(index - 1, null, true);
    }

    /* Draw the current question; when it is already drawn only its marks change, so the focus
       stays where the candidate left it. */
    function renderQuestion(moveFocus, replaced) {
      var area = $("exam-question");
      if (!area || !state || state.status !== "in_progress") return;
      var index = current;
      var q = questions[index];
      if (q && area.getAttribute("data-index") === String(index)) {
        showAnswer(area, q, answerOf(index), replaced);
        renderNav();
        renderFlag();
        renderSaveStatus();
        updateControls();
        if (moveFocus) $("exam-q-heading").focus();
        return;
      }
      area.removeAttribute("data-index");
      var heading = el("h2", { id: "exam-q-heading", tabindex: "-1",
        text: t("question_of", { n: index + 1, total: itemCount() }) });
      area.textContent = "";
      area.appendChild(heading);
      var section = sectionOf(index);
      if (section) area.appendChild(el("p", { class: "exam-section", text: t("section", { title: sectionTitle(section) }) }));
      if (!q) {
        area.appendChild(el("p", { class: "exam-q-loading", role: "status",
          text: joined ? t("loading_question") : t("question_offline") }));
        fetchQuestion(index, function (loaded) {
          if (loaded && current === index) renderQuestion(moveFocus);
          else if (!loaded && current === index && joined) setTimeout(function () {
            if (current === index && !questions[index]) renderQuestion(false);
          }, 3000);
        });
        renderNav();
        if (moveFocus) heading.focus();
        return;
      }
      area.appendChild(answerArea(index, q));
      showAnswer(area, q, answerOf(index), true);
      area.appendChild(el("p", { id: "exam-save-status", class: "exam-save-status",
        role: "status", "aria-live": "polite" }));
      var clear = el("button", { type: "button", class: "button secondary", id: "exam-clear",
        text: t("clear_answer") });
      clear.addEventListener("click", function () {
        if (answerOf(index) !== null) answer(index, null);
        renderQuestion(false, true);
        say(t("answer_cleared"));
      });
      var flag = el("button", { type: "button", class: "button secondary exam-flag",
        id: "exam-flag", "aria-pressed": isFlagged(index) ? "true" : "false",
        text: t("flag_for_review") });
      flag.addEventListener("click", function () { toggleFlag(index); });
      area.appendChild(el("div", { class: "exam-q-actions" }, [flag, clear]));
      area.setAttribute("data-index", String(index));
      renderNav();
      renderFlag();
      renderSaveStatus();
      updateControls();
      if (moveFocus) heading.focus();
    }

    /* The answering controls of a question, by its type: radio buttons (single choice, true or
       false), checkboxes (multiple response), a text field (numeric, short text), in a fieldset
       named by the question's heading and described by its stem and the type's hint. */
    function answerArea(index, q) {
      var type = q.type || "single";
      var hint = { multiple: "hint_multiple", numeric: "hint_numeric", text: "hint_text" }[type];
      var wrap = el("div", { class: "exam-answer" });
      // The stem is not a <legend> (it may hold tables and figures): the group is named by the
      // heading and described by the stem and the type's hint.
      wrap.appendChild(stemNode(q));
      if (hint) {
        var hintNode = el("p", { id: "exam-answer-hint", class: "hint", text: t(hint) });
        var limit = type === "multiple" ? limitHint(q) : "";
        if (limit) hintNode.appendChild(el("strong", { text: " " + limit }));
        wrap.appendChild(hintNode);
      }
      var fieldset = el("fieldset", { class: "exam-choices exam-type-" + type,
        "aria-labelledby": "exam-q-heading",
        "aria-describedby": hint ? "exam-stem exam-answer-hint" : "exam-stem" });
      wrap.appendChild(fieldset);
      if (type === "numeric" || type === "text") {
        var input = el("input", { type: "text", id: "exam-answer-input", class: "exam-answer-input",
          autocomplete: "off", spellcheck: "false", lang: q.lang,
          maxlength: "200", "aria-describedby": "exam-stem exam-answer-hint" });
        if (type === "numeric") input.setAttribute("inputmode", "decimal");
        var timer = null;
        var save = function () {
          clearTimeout(timer);
          var typed = input.value.trim();
          var value = typed === "" ? null : typed;
          if (value !== answerOf(index)) answer(index, value);
        };
        input.addEventListener("input", function () {
          clearTimeout(timer);
          timer = setTimeout(save, 1200);
        });
        input.addEventListener("change", save);
        input.addEventListener("keydown", function (e) { if (e.key === "Enter") save(); });
        fieldset.appendChild(el("label", { for: "exam-answer-input",
          text: t(type === "numeric" ? "your_number" : "your_answer") }));
        fieldset.appendChild(input);
        return wrap;
      }
      var multiple = type === "multiple";
      q.choices.forEach(function (c) {
        var id = "exam-choice-" + c.id;
        var box = el("input", { type: multiple ? "checkbox" : "radio", name: "exam-choice", id: id,
          value: c.id });
        box.addEventListener("change", function () {
          if (!multiple) { if (box.checked) answer(index, c.id); return; }
          var chosen = [];
          fieldset.querySelectorAll("input[type=checkbox]").forEach(function (other) {
            if (other.checked) chosen.push(other.value);
          });
          // At the item's limit a further choice is not taken: the box stays clear and the
          // candidate hears why (the server would refuse it, too_many_choices).
          if (q.max_choices && chosen.length > q.max_choices) {
            box.checked = false;
            notice(t("too_many_choices", { n: q.max_choices }));
            return;
          }
          notice("");
          answer(index, chosen.length ? chosen : null);
        });
        fieldset.appendChild(el("div", { class: "exam-choice" }, [
          box,
          el("label", { for: id, lang: q.lang }, [
            el("span", { class: "exam-choice-label", text: c.label + "." }), " ", choiceNode(c)
          ])
        ]));
      });
      return wrap;
    }

    /* How many choices a multiple-response question takes (its min_choices and max_choices),
       in words; "" when it does not say (item_types.choice_limit_hint says the same). */
    function limitHint(q) {
      var low = q.min_choices > 1 ? q.min_choices : 0, high = q.max_choices || 0;
      if (low && high && low === high) return t("choose_exactly", { n: high });
      if (low && high) return t("choose_between", { min: low, max: high });
      if (high) return t("choose_up_to", { n: high });
      if (low) return t("choose_at_least", { n: low });
      return "";
    }

    /* The question's text and a choice's text (the only places item content is drawn): the
       stem may hold tables, images and audio (rendered and sanitised by the server,
       app/exams/content.py), which a <legend> could not. */
    function stemNode(q) {
      return itemContent("div", { id: "exam-stem", class: "exam-stem item-content", lang: q.lang },
        q.stem_html, q.stem);
    }

    function choiceNode(c) {
      return itemContent("span", { class: "exam-choice-text item-content" }, c.html, c.text);
    }

    /* Mark the answer in the controls; a text field the candidate is typing in is left alone
       unless the answer was replaced (cleared, or a newer one from another device). */
    function showAnswer(area, q, value, replaced) {
      var input = area.querySelector("#exam-answer-input");
      if (input) {
        if (replaced || document.activeElement !== input) input.value = value === null ? "" : value;
        return;
      }
      var chosen = Array.isArray(value) ? value : value === null ? [] : [value];
      area.querySelectorAll("input[name=exam-choice]").forEach(function (box) {
        box.checked = chosen.indexOf(box.value) !== -1;
      });
    }

    /* An element holding an item's text: the server's rendered, sanitised HTML (the only
       place this page takes HTML from the server), or the plain text when there is none. */
    function itemContent(tag, attrs, markup, plain) {
      var node = el(tag, attrs);
      if (markup) node.innerHTML = markup;
      else node.textContent = plain || "";
      return node;
    }

    function renderNav() {
      var prev = $("exam-prev"), next = $("exam-next");
      if (prev) prev.disabled = current <= 0;
      if (next) next.disabled = current >= itemCount() - 1;
    }

    function renderFlag() {
      var flag = $("exam-flag");
      if (!flag) return;
      var on = isFlagged(current);
      flag.setAttribute("aria-pressed", on ? "true" : "false");
      flag.textContent = on ? t("flagged_remove") : t("flag_for_review");
    }

    function statusText(index) {
      if (answerOf(index) === null && !pendingFor(index)) return "";
      var s = saveState[index] || (pendingFor(index) ? (joined ? "saving" : "offline") : "saved");
      return s === "saving" ? t("saving") : s === "offline" ? t("not_saved_offline") : t("saved");
    }

    function renderSaveStatus() {
      var node = $("exam-save-status");
      if (!node) return;
      var text = statusText(current);
      if (node.textContent !== text) node.textContent = text;
      var unsaved = $("exam-unsaved");
      if (unsaved) {
        unsaved.textContent = outbox.size() ? t("unsaved_count", { count: outbox.size() }) : "";
        unsaved.hidden = !outbox.size();
      }
    }

    function renderPalette() {
      var nav = $("exam-palette-list");
      if (!nav || !state) return;
      var count = itemCount();
      var buttons = nav.querySelectorAll("button");
      if (buttons.length !== count) {
        nav.textContent = "";
        for (var i = 0; i < count; i++) {
          (function (index) {
            var b = el("button", { type: "button", class: "exam-pal", text: String(index + 1) });
            b.addEventListener("click", function () { showQuestion(index, true); });
            nav.appendChild(el("li", {}, [b]));
          })(i);
        }
        buttons = nav.querySelectorAll("button");
      }
      var answered = 0;
      for (var j = 0; j < count; j++) {
        var b = buttons[j];
        var isAnswered = answerOf(j) !== null, flagged = isFlagged(j), unsaved = pendingFor(j);
        if (isAnswered) answered += 1;
        var words = [t("palette_question", { n: j + 1 }),
          isAnswered ? t("answered") : t("unanswered")];
        if (unsaved) words.push(t("not_saved_yet"));
        if (flagged) words.push(t("flagged"));
        if (j === current) words.push(t("current"));
        b.setAttribute("aria-label", words.join(", "));
        b.className = "exam-pal" + (isAnswered ? " is-answered" : "") + (flagged ? " is-flagged" : "") +
          (unsaved ? " is-unsaved" : "") + (j === current ? " is-current" : "");
        if (j === current) b.setAttribute("aria-current", "step"); else b.removeAttribute("aria-current");
      }
      var summary = $("exam-progress");
      if (summary) summary.textContent = t("answered_of", { answered: answered, total: count });
    }

    function updateControls() {
      var can = canAnswer();
      var area = $("exam-question");
      if (area) {
        area.querySelectorAll("input[name=exam-choice], #exam-answer-input, #exam-clear, #exam-flag").forEach(function (n) {
          n.disabled = !can;
        });
      }
      var submit = $("exam-submit");
      if (submit) submit.disabled = !state || state.status !== "in_progress" || paused || stopped || submitting;
    }

    // -- pause, time, announcements, the end --

    socket.on("started", function (s) {
      // The proctor's start may carry the first question (docs/realtime.md): keep it in this
      // page's language, so the page need not ask for it.
      var first = s && s.first_question && s.first_question[cfg.locale];
      if (first) questions[first.index] = first;
      applyState(s);
      // The clock's offset is known from the waiting room: no sync now (a whole sitting would
      // sync in the same second as its start), the next one in its time.
      if (synced) scheduleSync();
      else resync();
    });

    socket.on("time", function (data) {
      if (!data) return;
      setDeadline(data.deadline, null);
      shownSeconds = null;
      lastRemaining = null;
      tick();
      var left = remainingSeconds();
      var leftText = left !== null ? mmss(left) : "--:--";
      if (data.reason === "outage" && state && data.seconds) {
        state.outage_seconds = (state.outage_seconds || 0) + data.seconds;
        showGivenBack(state.outage_seconds);
        timeChanged(t("log_outage", { time: duration(data.seconds), left: leftText }));
      } else if (data.reason === "given_back" && data.seconds) {
        timeChanged(t("log_given_back", { time: duration(data.seconds), left: leftText }));
      } else if (data.reason === "extension" && data.seconds) {
        timeChanged(t("log_extension", { time: duration(data.seconds), left: leftText }));
      } else {
        timeChanged(t("time_changed", { time: leftText }));
      }
    });

    socket.on("warning", function (data) {
      if (data && data.minutes_left) announceMinutes(data.minutes_left);
    });

    socket.on("announcement", function (data) {
      if (data && data.message) announce(data.message, data.at);
    });

    socket.on("paused", function (data) {
      var wasPaused = paused;
      frozenSeconds = remainingSeconds();
      paused = true;
      pauseReason = (data && data.reason) || "";
      if (synced) scheduleSync();  // (every 30 s while paused: the way back if `resumed` is missed)
      if (state && state.status === "in_progress" && !wasPaused) {
        timeChanged(t("log_paused", { left: frozenSeconds !== null ? mmss(frozenSeconds) : "--:--" }));
      }
      if (state && state.status === "in_progress") {
        $("exam-pause").hidden = false;
        $("exam-pause-text").textContent = pauseReason
          ? t("paused_reason", { reason: pauseReason }) : t("paused");
      } else if (state) {
        showWaiting(state);
      }
      updateControls();
    });

    socket.on("resumed", function (data) {
      paused = false;
      pauseReason = "";
      frozenSeconds = null;
      if (data && data.deadline) setDeadline(data.deadline, null);
      $("exam-pause").hidden = true;
      shownSeconds = null;
      lastRemaining = null;
      tick();
      var left = remainingSeconds();
      if (state && state.status === "in_progress") {
        timeChanged(t("log_resumed", { left: left !== null ? mmss(left) : "--:--" }));
      } else {
        say(t("resumed"));
      }
      updateControls();
      if (!questions[current]) renderQuestion();
      flush();
      refreshState();
    });

    socket.on("time_up", function (s) {
      endReason = t("ended_time_up");
      if (s && s.status === "submitted") applyState(s);
      else refreshState();
    });

    socket.on("force_submitted", function (data) {
      endReason = t("ended_by_proctor", { reason: (data && data.reason) || "" });
      if (data && data.state && data.state.status === "submitted") applyState(data.state);
      else refreshState();
    });

    socket.on("superseded", supersede);

    function supersede() {
      if (stopped) return;
      stopped = true;
      clearInterval(stateTimer);
      clearTimeout(syncTimer);
      outbox.cancelFlush();
      clearInterval(clockTimer);
      socket.off();
      socket.disconnect();
      banner("");
      showView("stopped");
      var heading = $("exam-stopped-heading");
      if (heading) heading.focus();
    }

    // -- leaving the page --

    function focusLost() {
      if (!state || state.status !== "in_progress" || stopped || ended) return;
      var at = Date.now();
      if (at - lastFocusLoss < 3000) return;  // one visibilitychange + blur = one loss
      lastFocusLoss = at;
      if (joined) socket.timeout(ACK_TIMEOUT).emit("focus_lost", {}, function () { /* counted */ });
      notice(t("focus_recorded"));
    }

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") focusLost();
    });
    window.addEventListener("blur", function () {
      clearTimeout(blurTimer);
      blurTimer = setTimeout(focusLost, 1500);
    });
    window.addEventListener("focus", function () { clearTimeout(blurTimer); });

    // -- navigation and submitting --

    $("exam-prev").addEventListener("click", function () { showQuestion(current - 1, true); });
    $("exam-next").addEventListener("click", function () { showQuestion(current + 1, true); });

    function counts() {
      var total = itemCount(), answered = 0;
      for (var i = 0; i < total; i++) if (answerOf(i) !== null) answered += 1;
      return { total: total, answered: answered, unanswered: total - answered,
        flagged: state ? state.flags.length : 0, unsaved: outbox.size() };
    }

    function confirmText() {
      var c = counts();
      var lines = [t("confirm_answered", { answered: c.answered, total: c.total })];
      if (c.unanswered) lines.push(t("confirm_unanswered", { count: c.unanswered }));
      if (c.flagged) lines.push(t("confirm_flagged", { count: c.flagged }));
      if (c.unsaved) lines.push(t("confirm_unsaved", { count: c.unsaved }));
      lines.push(t("confirm_final"));
      return lines;
    }

    /* Wait until every answer is acknowledged (the server may handle events in parallel, so the
       submit must not overtake them), at most `ms`. */
    function whenOutboxEmpty(ms, done) {
      var until = Date.now() + ms;
      flush();
      (function check() {
        if (!outbox.size()) return done(true);
        if (Date.now() > until || !joined) return done(false);
        setTimeout(check, 200);
      })();
    }

    function doSubmit() {
      if (submitting || !state || state.status !== "in_progress") return;
      if (!joined) { notice(t("submit_offline")); return; }
      submitting = true;
      updateControls();
      notice(t("submitting"));
      whenOutboxEmpty(8000, function (empty) {
        if (!empty) {
          submitting = false;
          updateControls();
          notice(t("submit_unsaved"));
          return;
        }
        socket.timeout(10000).emit("submit", {}, function (err, ack) {
          submitting = false;
          if (!err && ack && ack.ok) { notice(""); applyState(ack.state); return; }
          updateControls();
          if (ack && ack.error === "submitted") { refreshState(); return; }
          notice((ack && ack.message) || t("submit_failed"));
        });
      });
    }

    var dialog = $("exam-submit-dialog");
    $("exam-submit").addEventListener("click", function () {
      if (!state || state.status !== "in_progress") return;
      var lines = confirmText();
      if (dialog && typeof dialog.showModal === "function") {
        var body = $("exam-submit-summary");
        body.textContent = "";
        lines.forEach(function (line) { body.appendChild(el("p", { text: line })); });
        dialog.showModal();
        $("exam-submit-cancel").focus();
      } else if (window.confirm(lines.join("\n"))) {
        doSubmit();
      }
    });
    if (dialog) {
      $("exam-submit-confirm").addEventListener("click", function () { dialog.close(); doSubmit(); });
      $("exam-submit-cancel").addEventListener("click", function () { dialog.close(); });
    }

    clockTimer = setInterval(tick, 250);

    // A tiny hook for browser tests.
    window.examClient = {
      outboxSize: function () { return outbox.size(); },
      state: function () { return state ? JSON.parse(JSON.stringify(state)) : null; },
      connected: function () { return joined; },
      // (the questions this page holds, and how many it is still asking for)
      questionsHeld: function () { return Object.keys(questions).map(Number); },
      questionsAsked: function () { return Object.keys(fetching).length; },
      // (the clock: the offset measured, and how often the device's clock was seen set)
      clock: function () { return { offset: offset, synced: synced, resyncs: clockResyncs }; }
    };
  }

  // ---- which page is this? --------------------------------------------------------------------

  var check = $("exam-syscheck");
  if (check) systemCheck(check);
  var app = $("exam-app");
  if (app) examPage(app);
})();
