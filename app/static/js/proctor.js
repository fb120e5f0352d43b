/* The proctor's live dashboard: follows one sitting over the /proctor Socket.IO namespace
   (docs/realtime.md), keeps the candidates table current, counts time down between updates,
   and sends the proctor's actions, showing each acknowledgement in the aria-live region.
   Reads its JSON, builds elements and fills translated texts with outbox.js's helpers
   (window.BmaLive: load outbox.js first). */
(function () {
  "use strict";

  var ACK_TIMEOUT_MS = 10000;
  var live = window.BmaLive;
  var cfg = live.readJSON("proctor-config");
  var t = cfg.strings;
  var fill = live.translator(t);  // fill("lost", {time: "01:05"})
  var sittingId = cfg.sitting_id;
  var status = cfg.status;
  var rows = {};   // seat_id -> {row, receivedAt, tr}
  var order = [];  // seat ids in the order the server lists them

  var tbody = document.getElementById("candidate-rows");
  var resultBox = document.getElementById("action-result");
  var connectionBox = document.getElementById("connection");
  var statusBadge = document.getElementById("sitting-status");

  // ---- small helpers ---------------------------------------------------------------------

  /* el(tag, attrs, text): BmaLive.el with the text as the third argument. */
  function el(tag, attrs, text) {
    var all = {};
    Object.keys(attrs || {}).forEach(function (k) { all[k] = attrs[k]; });
    if (text !== undefined && text !== null) { all.text = String(text); }
    return live.el(tag, all);
  }

  function say(text, isError) {
    resultBox.textContent = text;
    resultBox.className = "proctor-result " + (isError ? "flash flash-error" : "flash");
  }

  function mmss(seconds) {
    if (seconds === null || seconds === undefined) { return t.none; }
    var s = Math.max(0, Math.floor(seconds));
    var m = Math.floor(s / 60);
    var r = s % 60;
    return (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }

  function label(row) {
    return row.room + "/" + row.seat + " · " + row.name;
  }

  // ---- the table -------------------------------------------------------------------------

  function timeLeft(entry) {
    var row = entry.row;
    if (row.remaining_seconds === null || row.remaining_seconds === undefined) { return null; }
    var running = status === "started" &&
      (row.state === "in_progress" || row.state === "disconnected");
    if (!running) { return row.remaining_seconds; }
    var elapsed = (Date.now() - entry.receivedAt) / 1000;
    return Math.max(0, row.remaining_seconds - elapsed);
  }

  function actionButton(text, aria, handler) {
    var b = el("button", {type: "button", "class": "button secondary small", "aria-label": aria}, text);
    b.addEventListener("click", handler);
    return b;
  }

  function renderRow(entry) {
    var row = entry.row;
    var tr = el("tr", {"data-seat-id": row.seat_id});
    tr.appendChild(el("td", {}, row.room + " / " + row.seat));
    tr.appendChild(el("th", {scope: "row"}, row.name));
    // The state is a word (and a class for colour): never colour alone.
    tr.appendChild(el("td", {"class": "state state-" + row.state}, cfg.states[row.state] || row.state));
    tr.appendChild(el("td", {}, row.answered + " / " + row.item_count));
    var left = el("td", {"class": "time-left"}, mmss(timeLeft(entry)));
    tr.appendChild(left);
    var lost = el("td", {"class": "time-lost"});
    lostText(entry, lost);
    tr.appendChild(lost);
    tr.appendChild(el("td", {}, row.focus_losses));
    tr.appendChild(el("td", {}, row.extra_time_percent ? "+" + row.extra_time_percent + "%" : t.none));
    var actions = el("td", {"class": "row-actions"});
    if (row.state !== "submitted" && row.state !== "not_checked_in") {
      actions.appendChild(actionButton(t.extend, t.extend_for + " " + row.name, function () {
        choose("extend-target", row.seat_id, "extend-minutes");
      }));
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(actionButton(t.force, t.force_for + " " + row.name, function () {
        choose("force-target", row.seat_id, "force-reason");
      }));
    }
    if (row.state === "in_progress" || row.state === "disconnected") {
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(actionButton(t.give_back, t.give_back_for + " " + row.name, function () {
        choose("give-back-target", row.seat_id, "give-back-reason");
      }));
    }
    tr.appendChild(actions);
    entry.tr = tr;
    entry.timeCell = left;
    entry.lostCell = lost;
    return tr;
  }

  /* Time lost on the candidate's side (counting while they are away) and time given back
     for a server outage. */
  function lostText(entry, cell) {
    var row = entry.row, parts = [];
    var elapsed = (Date.now() - entry.receivedAt) / 1000;
    var lost = (row.lost_seconds || 0) + (row.state === "disconnected" && status === "started" ? elapsed : 0);
    if (row.state === "disconnected" && row.disconnected_since) {
      var since = new Date(row.disconnected_since);
      parts.push(fill("away_since", {time: since.toLocaleTimeString(document.documentElement.lang === "en" ? "en-GB" : "th-TH")}));
    }
    if (lost >= 1) { parts.push(fill("lost", {time: mmss(lost)})); }
    if (row.outage_seconds) { parts.push(fill("outage", {time: mmss(row.outage_seconds)})); }
    cell.textContent = parts.length ? parts.join("; ") : t.none;
  }

  function upsert(row, receivedAt) {
    var entry = rows[row.seat_id];
    var fresh = {row: row, receivedAt: receivedAt || Date.now()};
    var tr = renderRow(fresh);
    if (entry && entry.tr && entry.tr.parentNode === tbody) {
      tbody.replaceChild(tr, entry.tr);
    } else {
      var empty = document.getElementById("no-candidates");
      if (empty) { empty.parentNode.removeChild(empty); }
      tbody.appendChild(tr);
      if (order.indexOf(row.seat_id) < 0) { order.push(row.seat_id); }
    }
    rows[row.seat_id] = fresh;
  }

  function replaceAll(list) {
    var now = Date.now();
    rows = {};
    order = [];
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    list.forEach(function (row) { upsert(row, now); });
    refreshTargets();
  }

  function refreshTargets() {
    fillTargets("extend-target", [{value: "all", text: t.all_candidates}]);
    fillTargets("force-target", [{value: "", text: t.choose_candidate}]);
    fillTargets("give-back-target", [{value: "", text: t.choose_candidate}]);
  }

  function fillTargets(id, first) {
    var select = document.getElementById(id);
    var keep = select.value;
    while (select.firstChild) { select.removeChild(select.firstChild); }
    first.forEach(function (o) { select.appendChild(el("option", {value: o.value}, o.text)); });
    order.forEach(function (seatId) {
      select.appendChild(el("option", {value: String(seatId)}, label(rows[seatId].row)));
    });
    select.value = keep;
    if (select.value !== keep) { select.value = first[0].value; }
  }

  function choose(selectId, seatId, focusId) {
    document.getElementById(selectId).value = String(seatId);
    document.getElementById(focusId).focus();
  }

  function tick() {
    order.forEach(function (seatId) {
      var entry = rows[seatId];
      if (entry && entry.timeCell) { entry.timeCell.textContent = mmss(timeLeft(entry)); }
      if (entry && entry.lostCell && entry.row.state === "disconnected") { lostText(entry, entry.lostCell); }
    });
  }

  // ---- the sitting's status ----------------------------------------------------------------

  /* `next` is the stored status (what the buttons may do); `shown` is how it reads now (a
     window sitting under way is "in progress", not "scheduled": timing.shown_status). */
  function setStatus(next, shown) {
    status = next;
    shown = shown || next;
    statusBadge.textContent = cfg.statuses[shown] || shown;
    statusBadge.className = "badge badge-" + shown;
    var start = document.getElementById("start-form");
    if (start) { start.hidden = next !== "scheduled"; }
    document.getElementById("pause-button").disabled = next !== "started";
    document.getElementById("resume-button").disabled = next !== "paused";
  }

  // ---- the connection ----------------------------------------------------------------------

  var socket = io("/proctor", live.SOCKET_OPTIONS);

  function watch() {
    socket.timeout(ACK_TIMEOUT_MS).emit("watch", {sitting_id: sittingId}, function (err, ack) {
      if (err) { say(t.no_answer, true); return; }
      if (!ack || !ack.ok) {
        say(t.watch_failed + " " + ((ack && ack.message) || ""), true);
        return;
      }
      setStatus(ack.sitting.status, ack.sitting.shown);
      replaceAll(ack.candidates);
    });
  }

  socket.on("connect", function () {
    connectionBox.textContent = t.connected;
    watch();  // (again after a reconnect: the server forgets rooms of a closed connection)
  });
  socket.on("disconnect", function () { connectionBox.textContent = t.disconnected; });
  socket.on("connect_error", function () { connectionBox.textContent = t.disconnected; });
  socket.on("candidate", function (row) {
    var known = Object.prototype.hasOwnProperty.call(rows, row.seat_id);
    upsert(row);
    if (!known) { refreshTargets(); }
  });
  // Candidates who joined or left, batched by the server (at most one message per second).
  socket.on("candidates", function (data) {
    var fresh = false;
    ((data && data.rows) || []).forEach(function (row) {
      fresh = fresh || !Object.prototype.hasOwnProperty.call(rows, row.seat_id);
      upsert(row);
    });
    if (fresh) { refreshTargets(); }
  });
  // Answer counts, batched by the server (at most one message per second per sitting).
  socket.on("progress", function (data) {
    ((data && data.rows) || []).forEach(function (part) {
      var entry = rows[part.seat_id];
      if (!entry) { return; }  // (a seat we do not show yet: the next watch brings it)
      var row = Object.assign({}, entry.row, {answered: part.answered});
      upsert(row, entry.receivedAt);  // the countdown keeps its reference time
    });
  });
  socket.on("sitting", function (data) {
    setStatus(data.status, data.shown);
    watch();  // a start, pause or resume moves every clock: take fresh rows
  });

  // ---- actions -----------------------------------------------------------------------------

  function act(event, payload, form, okText) {
    if (form.getAttribute("aria-busy") === "true") { return; }  // one action at a time per form
    form.setAttribute("aria-busy", "true");
    say(t.sending, false);
    socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, function (err, ack) {
      form.removeAttribute("aria-busy");
      if (err) { say(t.no_answer, true); return; }
      if (ack && ack.ok) {
        say(okText(ack), false);
      } else {
        say(t.refused + " " + ((ack && (ack.message || ack.error)) || ""), true);
      }
    });
  }

  function reasonOf(id) {
    var value = document.getElementById(id).value.trim();
    if (!value) {
      say(t.need_reason, true);
      document.getElementById(id).focus();
      return null;
    }
    return value;
  }

  var startForm = document.getElementById("start-form");
  if (startForm) {
    startForm.addEventListener("submit", function (e) {
      e.preventDefault();
      act("start", {sitting_id: sittingId}, startForm, function () { return t.ok_start; });
    });
  }

  var pauseForm = document.getElementById("pause-form");
  pauseForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var which = (e.submitter && e.submitter.value) || (status === "paused" ? "resume" : "pause");
    var reason = document.getElementById("pause-reason").value.trim();
    if (which === "pause" && !reason) { reasonOf("pause-reason"); return; }
    act(which, {sitting_id: sittingId, reason: reason}, pauseForm, function () {
      document.getElementById("pause-reason").value = "";
      return which === "pause" ? t.ok_pause : t.ok_resume;
    });
  });

  var announceForm = document.getElementById("announce-form");
  announceForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var box = document.getElementById("announce-message");
    var message = box.value.trim();
    if (!message) { say(t.need_message, true); box.focus(); return; }
    act("announce", {sitting_id: sittingId, message: message}, announceForm, function () {
      box.value = "";
      return t.ok_announce;
    });
  });

  var extendForm = document.getElementById("extend-form");
  extendForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var minutesBox = document.getElementById("extend-minutes");
    var minutes = Number(minutesBox.value);
    if (!minutesBox.value || !isFinite(minutes) || minutes === 0 || Math.floor(minutes) !== minutes) {
      say(t.need_minutes, true);
      minutesBox.focus();
      return;
    }
    var reason = reasonOf("extend-reason");
    if (reason === null) { return; }
    var target = document.getElementById("extend-target").value;
    var seatIds = target === "all" ? "all" : [Number(target)];
    act("extend", {sitting_id: sittingId, seat_ids: seatIds, seconds: minutes * 60, reason: reason},
      extendForm, function (ack) {
        document.getElementById("extend-reason").value = "";
        return t.ok_extend + " " + (ack.changed ? ack.changed.length : 0);
      });
  });

  var forceForm = document.getElementById("force-form");
  forceForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var target = document.getElementById("force-target").value;
    if (!target) { say(t.need_candidate, true); document.getElementById("force-target").focus(); return; }
    var reason = reasonOf("force-reason");
    if (reason === null) { return; }
    var name = rows[target] ? rows[target].row.name : "";
    // The house's confirmation dialog (forms.js), naming the candidate and what will happen.
    window.confirmAction({
      title: t.confirm_force_title.replace("{name}", name),
      text: t.confirm_force_text.replace("{name}", name),
      yes: t.confirm_force_yes,
      cancel: t.confirm_cancel,
      returnFocus: forceForm.querySelector("[type=submit]")
    }, function () {
      act("force_submit", {sitting_id: sittingId, seat_id: Number(target), reason: reason, confirmed: true},
        forceForm, function () {
          document.getElementById("force-reason").value = "";
          return t.ok_force + " " + name;
        });
    });
  });

  var giveBackForm = document.getElementById("give-back-form");
  giveBackForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var target = document.getElementById("give-back-target").value;
    if (!target) { say(t.need_candidate, true); document.getElementById("give-back-target").focus(); return; }
    var reason = reasonOf("give-back-reason");
    if (reason === null) { return; }
    var name = rows[target] ? rows[target].row.name : "";
    act("give_back", {sitting_id: sittingId, seat_id: Number(target), reason: reason},
      giveBackForm, function (ack) {
        document.getElementById("give-back-reason").value = "";
        return t.ok_give_back + " " + mmss(ack.seconds) + " · " + name;
      });
  });

  window.setInterval(tick, 1000);
})();
