/* Live interview scoring in the browser (the /panel protocol of docs/realtime.md): the panel's
 * waiting list on "My interviews", and the scoring page (declaration, rubric, submission; for the
 * chair: progress, side by side, finalize, correct, substitutes). Every text shown comes from the
 * page's #panel-messages JSON (translated on the server), so this file holds no language. Scores
 * go to a localStorage outbox first and leave it only when the server acknowledged them after its
 * commit; unacknowledged ones are sent again, with the same seq, after a reconnect (the outbox
 * and the connection are shared with exam.js: static/js/outbox.js, loaded before this file). */
(function () {
  "use strict";

  var live = window.BmaLive;
  var SOCKET_OPTIONS = live.SOCKET_OPTIONS;
  var ACK_TIMEOUT = live.ACK_TIMEOUT;
  var TYPING_DELAY = 600;

  var $ = live.$, readJSON = live.readJSON, el = live.el;
  var t = live.translator(readJSON("panel-messages"));

  function clear(node) { while (node && node.firstChild) node.removeChild(node.firstChild); }

  function formatTime(iso, locale) {
    try {
      return new Intl.DateTimeFormat(locale === "en" ? "en-GB" : "th-TH",
        { timeZone: "Asia/Bangkok", hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
    } catch (e) { return iso.slice(11, 16); }
  }

  function showError(node, message) {
    if (!node) return;
    node.textContent = message || "";
    node.hidden = !message;
  }

  // ---- "My interviews": who is waiting, live -------------------------------------------------

  function homePage() {
    var cfg = readJSON("panel-config");
    var status = $("panel-connection");
    if (!cfg.panels || !cfg.panels.length || typeof window.io !== "function") return;
    var waiting = {};  // panel id -> {interview id -> row}

    function render(panelId) {
      var list = $("waiting-" + panelId);
      if (!list) return;
      clear(list);
      var rows = Object.keys(waiting[panelId] || {}).map(function (k) { return waiting[panelId][k]; });
      rows.sort(function (a, b) { return a.starts_at < b.starts_at ? -1 : 1; });
      if (!rows.length) list.appendChild(el("li", { text: t("nobody") }));
      rows.forEach(function (row) {
        var url = cfg.interview_url.replace(/0$/, String(row.interview_id));
        list.appendChild(el("li", { "data-interview": row.interview_id }, [
          el("a", { href: url, text: row.name + " (" + row.application_number + ")" }),
          " · " + t("slot_at", { time: formatTime(row.starts_at, document.documentElement.lang) }),
          row.checked_in_at ? " · " + t("waiting_since",
            { time: formatTime(row.checked_in_at, document.documentElement.lang) }) : ""
        ]));
      });
    }

    var socket = window.io("/panel", SOCKET_OPTIONS);
    socket.on("connect", function () {
      status.textContent = t("connected");
      cfg.panels.forEach(function (panelId) {
        socket.timeout(ACK_TIMEOUT).emit("waiting", { panel_id: panelId }, function (err, ack) {
          if (err || !ack || !ack.ok) return;
          waiting[panelId] = {};
          ack.candidates.forEach(function (row) { waiting[panelId][row.interview_id] = row; });
          render(panelId);
        });
      });
    });
    socket.on("disconnect", function () { status.textContent = t("offline"); });
    socket.on("candidate_waiting", function (row) {
      waiting[row.panel_id] = waiting[row.panel_id] || {};
      waiting[row.panel_id][row.interview_id] = row;
      render(row.panel_id);
    });
    socket.on("candidate_left", function (data) {
      if (waiting[data.panel_id]) delete waiting[data.panel_id][data.interview_id];
      render(data.panel_id);
    });
  }

  // ---- the scoring page ------------------------------------------------------------------------

  function scoringPage() {
    var cfg = readJSON("panel-config");
    var store = live.keyedStore("bma-panel", cfg.interview_id + ":" + cfg.user_id);
    var isChair = cfg.chairs;  // the panel's chair, or the acting chair for this candidate

    var state = null;
    // Scores {criterion_id, points, seq} not yet acknowledged, at most one per criterion.
    var outbox = new live.Outbox(store, function (entry) { return entry.criterion_id; });
    var saveState = {};                // criterion id -> "saved" | "saving" | "offline" | "error"
    var errors = {};                   // criterion id -> message
    var typing = {};                   // criterion id -> timer
    var joined = false;

    var inputs = Array.prototype.slice.call(document.querySelectorAll("input.panel-points"));
    var byId = {};
    inputs.forEach(function (input) { byId[input.getAttribute("data-criterion")] = input; });

    function say(text) {
      var region = $("panel-sr");
      if (!region) return;
      region.textContent = "";
      setTimeout(function () { region.textContent = text; }, 50);
    }

    function notice(text) { $("panel-notice").textContent = text || ""; }

    function banner(text) { $("panel-connection").textContent = text || ""; }

    if (typeof window.io !== "function") { banner(t("no_client")); return; }
    var connection = live.connect("/panel", {
      joinData: function () { return { interview_id: cfg.interview_id }; },
      connected: function (again) { banner(again ? t("reconnected") : t("connected")); },
      joined: function (s) {
        joined = true;
        applyState(s);
        flush();
      },
      refused: function (ack) { notice(ack.message); },
      disconnected: function () {
        joined = false;
        outbox.connectionLost();
        outbox.entries.forEach(function (e) { saveState[e.criterion_id] = "offline"; });
        renderSaveStatus();
        banner(t("offline"));
      },
      connectFailed: function (why) {
        banner(why.refused ? t("login_again") : why.again ? t("offline") : t("cannot_connect"));
      }
    });
    var socket = connection.socket, join = connection.join;

    socket.on("progress", function (progress) {
      if (state && isChair) { state.progress = progress; renderChair(); }
    });
    socket.on("all_submitted", function () { say(t("all_submitted")); join(); });
    socket.on("finalized", function () { join(); });
    // HR named who presides over this interview in place of a recused chair. The chair's tools
    // are part of the page: the member named (or the one replaced) reloads it to get them.
    socket.on("chair_changed", function (data) {
      var mine = data.acting_chair_id === cfg.user_id;
      if (mine !== isChair) { notice(mine ? t("you_preside") : t("you_no_longer_preside")); }
      if (mine) { say(t("you_preside")); }
    });

    // -- the state --

    function canScore() {
      return !!state && state.scoring_member && !!state.declaration &&
        !state.declaration.has_conflict && !state.submitted && !state.interview.finalized &&
        state.interview.scoring_open !== false;
    }

    /* The fields stay closed until scoring opens (the server says when); at that moment the
       page asks for the state again, which opens them. */
    var openTimer = null;
    function whenScoringOpens(s) {
      if (openTimer || s.interview.scoring_open !== false) return;
      var wait = Date.parse(s.interview.scoring_opens_at) - Date.parse(s.interview.server_time);
      openTimer = setTimeout(function () { openTimer = null; join(); }, Math.max(1000, wait + 500));
    }

    function applyState(s) {
      state = s;
      whenScoringOpens(s);
      outbox.noteSeqs(Object.keys(s.scores || {}).map(function (cid) {
        return s.scores[cid].seq;
      }));
      if (s.submitted || s.interview.finalized || (s.declaration && s.declaration.has_conflict)) {
        outbox.clear();  // nothing left to send: the server refuses scores from here on
      }
      inputs.forEach(function (input) {
        var cid = input.getAttribute("data-criterion");
        var pending = outbox.pending(cid);
        if (pending) {
          input.value = pending.points === null ? "" : pending.points;
        } else if (document.activeElement !== input || !canScore()) {
          var stored = s.scores[cid];
          input.value = stored && stored.points !== null ? stored.points : "";
          if (stored && stored.points !== null && !saveState[cid]) saveState[cid] = "saved";
        }
        input.disabled = !canScore();
      });
      renderDeclaration();
      renderRubricNote();
      renderSaveStatus();
      renderTotal();
      renderOthers();
      renderFinal();
      if (isChair) renderChair();
    }

    function renderDeclaration() {
      var form = $("panel-declare-form"), text = $("panel-declaration");
      var d = state.declaration;
      if (d && d.has_conflict) {
        text.textContent = t("declared_conflict", { note: d.note });
      } else if (d) {
        text.textContent = t("declared_none");
      } else {
        text.textContent = "";
      }
      // "No conflict" may still turn into a conflict until the member submits.
      var open = !state.submitted && !state.interview.finalized;
      form.hidden = !!d || !open;
      $("panel-declare-change").hidden = !(d && !d.has_conflict && open);
    }

    $("panel-declare-change").addEventListener("click", function () {
      var form = $("panel-declare-form");
      form.hidden = false;
      form.querySelector("input[value=yes]").checked = true;
      this.hidden = true;
      form.querySelector("textarea[name=note]").focus();
    });

    function renderRubricNote() {
      var note = "";
      if (state.interview.finalized) note = t("finalized");
      else if (state.submitted) note = t("submitted");
      else if (state.declaration && state.declaration.has_conflict) note = t("recused");
      else if (!state.scoring_member) note = t("not_scoring");
      else if (!state.declaration) note = t("declare_first");
      else if (state.interview.scoring_open === false) {
        note = t("opens_at", { time: state.interview.scoring_opens_text });
      }
      $("panel-rubric-note").textContent = note;
      $("panel-submit").disabled = !canScore();
      $("panel-submit").hidden = state.submitted || !state.scoring_member ||
        (state.declaration && state.declaration.has_conflict);
    }

    function renderSaveStatus() {
      inputs.forEach(function (input) {
        var cid = input.getAttribute("data-criterion");
        var node = $("status-" + cid);
        var s = saveState[cid];
        node.className = "panel-save" + (s ? " panel-save-" + s : "");
        node.textContent = s === "error" ? errors[cid] : s === "saved" ? t("saved")
          : s === "saving" ? t("saving") : s === "offline" ? t("offline_kept") : "";
        input.setAttribute("aria-invalid", s === "error" ? "true" : "false");
      });
    }

    function renderTotal() {
      var total = 0, any = false;
      inputs.forEach(function (input) {
        var v = parseFloat(input.value);
        if (!isNaN(v)) { total += v; any = true; }
      });
      $("panel-total").textContent = any ? String(Math.round(total * 100) / 100) : "–";
    }

    function renderFinal() {
      var box = $("panel-final");
      var sheet = $("panel-sheet");
      sheet.hidden = !state.all_submitted;
      if (!state.interview.finalized) { box.hidden = true; return; }
      box.hidden = false;
      $("panel-final-text").textContent = t("final_text",
        { score: state.interview.final_score, stage_max: cfg.stage_max });
    }

    /* A table of points: one row per criterion, one column per member, totals last. */
    function scoreTable(criteria, members, selfId) {
      var head = el("tr", {}, [el("th", { scope: "col", text: t("criterion") }),
        el("th", { scope: "col", text: t("max") })].concat(members.map(function (m) {
          return el("th", { scope: "col", text: m.user_id === selfId ? t("you") : m.name });
        })));
      var body = criteria.map(function (c) {
        return el("tr", {}, [el("th", { scope: "row", text: c.title }),
          el("td", { text: c.max_points })].concat(members.map(function (m) {
            var p = m.points[String(c.id)];
            return el("td", { text: p === null || p === undefined ? "–" : p });
          })));
      });
      body.push(el("tr", { class: "panel-total-row" }, [el("th", { scope: "row", text: t("total") }),
        el("td", { text: state.rubric_max })].concat(members.map(function (m) {
          return el("td", { text: m.total });
        }))));
      return el("table", {}, [el("caption", { class: "visually-hidden", text: t("table_caption") }),
        el("thead", {}, [head]), el("tbody", {}, body)]);
    }

    function renderOthers() {
      var section = $("panel-others-section");
      if (isChair || !state.others) { section.hidden = true; return; }
      var mine = { user_id: cfg.user_id, name: t("you"), total: state.total, points: {} };
      Object.keys(state.scores).forEach(function (cid) { mine.points[cid] = state.scores[cid].points; });
      var box = $("panel-others");
      clear(box);
      box.appendChild(scoreTable(state.criteria.map(function (c) {
        return { id: c.id, title: c.title, max_points: c.max_points };
      }), [mine].concat(state.others), cfg.user_id));
      section.hidden = false;
    }

    // -- scores --

    function valid(value, max) {
      if (value === null) return true;
      var n = Number(value);
      return !isNaN(n) && n >= 0 && n <= max && (Math.round(n * 2) === n * 2 || n === max);
    }

    function lastKnown(cid) {
      var pending = outbox.pending(cid);
      if (pending) return pending.points;
      var stored = state && state.scores[cid];
      return stored ? stored.points : null;
    }

    function score(input) {
      if (!canScore()) return;
      var cid = input.getAttribute("data-criterion");
      var raw = input.value.trim();
      var points = raw === "" ? null : raw;
      var max = Number(input.getAttribute("data-max"));
      if ((input.validity && input.validity.badInput) || !valid(points, max)) {
        errors[cid] = t("invalid", { max: input.getAttribute("data-max") });
        saveState[cid] = "error";
        renderSaveStatus();
        return;
      }
      if (points !== null) points = String(Number(points));
      if (points === lastKnown(cid) && saveState[cid] !== "error") return;
      // The outbox first: from here the score survives a reload or a lost connection.
      var entry = outbox.add({ criterion_id: Number(cid), points: points });
      saveState[cid] = joined ? "saving" : "offline";
      renderSaveStatus();
      renderTotal();
      send(entry);
    }

    function send(entry) {
      if (!joined || !outbox.startSending(entry.seq)) return;
      var cid = String(entry.criterion_id);
      socket.timeout(ACK_TIMEOUT).emit("score", {
        interview_id: cfg.interview_id, criterion_id: entry.criterion_id,
        points: entry.points, seq: entry.seq
      }, function (err, ack) {
        outbox.doneSending(entry.seq);
        if (err || !ack) {  // no ack: not stored; it stays in the outbox and goes again
          saveState[cid] = joined ? "saving" : "offline";
          renderSaveStatus();
          scheduleFlush();
          return;
        }
        if (ack.ok) {
          outbox.stored(entry.seq, ack.seq);
          state.scores[cid] = { points: ack.points, seq: ack.seq };
          if (!outbox.pending(cid)) {
            if (ack.stale && byId[cid]) {  // a newer score came from another device
              byId[cid].value = ack.points === null ? "" : ack.points;
              renderTotal();
            }
            saveState[cid] = "saved";
            say(t("saved_sr", { criterion: labelOf(cid), points: ack.points === null ? "–" : ack.points }));
          }
          renderSaveStatus();
          return;
        }
        if (ack.error === "retry") { scheduleFlush(); return; }
        outbox.drop(entry.seq);
        errors[cid] = t("refused", { message: ack.message });
        saveState[cid] = "error";
        renderSaveStatus();
        if (ack.error !== "bad_score") join();  // the state changed (submitted, finalized…)
      });
    }

    function labelOf(cid) {
      var c = (state.criteria || []).filter(function (x) { return String(x.id) === String(cid); })[0];
      return c ? c.title : cid;
    }

    function flush() {
      outbox.flush(function (entry) {
        if (joined) saveState[entry.criterion_id] = "saving";
        send(entry);
      });
      renderSaveStatus();
    }

    function scheduleFlush() {
      outbox.scheduleFlush(flush);
    }

    inputs.forEach(function (input) {
      var cid = input.getAttribute("data-criterion");
      input.addEventListener("input", function () {
        clearTimeout(typing[cid]);
        renderTotal();
        typing[cid] = setTimeout(function () { score(input); }, TYPING_DELAY);
      });
      input.addEventListener("change", function () {
        clearTimeout(typing[cid]);
        score(input);
      });
    });
    $("panel-rubric").addEventListener("submit", function (e) { e.preventDefault(); });

    // -- declaring --

    $("panel-declare-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var form = e.target;
      var chosen = form.querySelector("input[name=has_conflict]:checked");
      var error = $("panel-declare-error");
      if (!chosen) { showError(error, t("declare_first")); return; }
      showError(error, "");
      socket.timeout(ACK_TIMEOUT).emit("declare", {
        interview_id: cfg.interview_id, has_conflict: chosen.value === "yes",
        note: form.querySelector("textarea[name=note]").value
      }, function (err, ack) {
        if (err || !ack) { showError(error, t("offline")); return; }
        if (!ack.ok) { showError(error, ack.message); return; }
        say(t("declared_saved"));
        applyState(ack.state);
      });
    });

    // -- submitting --

    var submitDialog = $("panel-submit-dialog");
    $("panel-submit").addEventListener("click", function () {
      inputs.forEach(function (input) { clearTimeout(typing[input.getAttribute("data-criterion")]); score(input); });
      if (outbox.size()) { notice(t("unsaved_submit")); return; }
      var missing = inputs.filter(function (input) { return input.value.trim() === ""; }).length;
      if (missing) { notice(t("missing_submit", { count: missing })); return; }
      notice("");
      $("panel-submit-summary").textContent = t("submit_summary",
        { total: $("panel-total").textContent, max: state.rubric_max });
      submitDialog.showModal();
    });
    $("panel-submit-cancel").addEventListener("click", function () { submitDialog.close(); });
    $("panel-submit-confirm").addEventListener("click", function () {
      submitDialog.close();
      socket.timeout(ACK_TIMEOUT).emit("submit", { interview_id: cfg.interview_id }, function (err, ack) {
        if (err || !ack) { notice(t("offline")); return; }
        if (!ack.ok) { notice(ack.message); return; }
        say(t("submitted_sr"));
        notice(t("submitted"));
        applyState(ack.state);
      });
    });

    // -- the chair --

    function renderChair() {
      var p = state.progress;
      if (!p) return;
      $("panel-quorum").textContent = t(p.quorum.met ? "quorum" : "quorum_short",
        { n: p.quorum.scoring, q: p.quorum.required });
      var list = $("panel-progress");
      clear(list);
      p.members.forEach(function (m) {
        var label = m.state === "submitted" ? t("state_submitted")
          : m.state === "scoring" ? t("state_scoring", { n: m.scored, m: m.of }) : t("state_not_started");
        if (!m.declared) label += " · " + t("not_declared");
        list.appendChild(el("li", { class: "panel-progress-" + m.state, "data-user": m.user_id }, [
          el("strong", { text: m.name }), " (" + t("role_" + m.role) + "): ", label
        ]));
      });
      $("panel-recused").textContent = p.recused.length ? t("recused_list",
        { names: p.recused.map(function (r) { return r.name; }).join(", ") }) : "";

      var sbs = state.side_by_side;
      var box = $("panel-sbs");
      clear(box);
      $("panel-sbs-waiting").hidden = !!sbs;
      var spread = $("panel-spread"), proposed = $("panel-proposed");
      if (sbs) {
        box.appendChild(scoreTable(sbs.criteria, sbs.members, cfg.user_id));
        spread.hidden = false;
        spread.className = "panel-spread" + (sbs.spread_flag ? " panel-spread-flag" : "");
        spread.textContent = t(sbs.spread_flag ? "spread_flag" : "spread_ok",
          { spread: sbs.spread, threshold: sbs.spread_threshold });
        proposed.hidden = false;
        proposed.textContent = t("proposed", {
          how: t("aggregate_" + sbs.aggregate_method), aggregate: sbs.aggregate,
          max: sbs.rubric_max, score: sbs.part_c_score, stage_max: sbs.stage_max });
      } else {
        spread.hidden = true;
        proposed.hidden = true;
      }
      var finalized = state.interview.finalized;
      var finalizeButton = $("panel-finalize");
      finalizeButton.hidden = finalized;
      finalizeButton.disabled = !sbs || !p.quorum.met || finalized;
      $("panel-correct-form").hidden = !finalized;
      var substitute = $("panel-substitute-form");
      if (substitute) substitute.hidden = finalized;
      var fixes = state.corrections || [];
      $("panel-corrections-box").hidden = !fixes.length;
      var ul = $("panel-corrections");
      clear(ul);
      fixes.forEach(function (f) {
        ul.appendChild(el("li", { text: t("correction_item", {
          at: new Date(f.at).toLocaleString(cfg.locale === "en" ? "en-GB" : "th-TH", { timeZone: "Asia/Bangkok" }),
          before: f.before, after: f.after, by: f.by, reason: f.reason }) }));
      });
    }

    if (isChair) {
      var finalizeDialog = $("panel-finalize-dialog");
      $("panel-finalize").addEventListener("click", function () {
        var sbs = state && state.side_by_side;
        if (!sbs) return;
        $("panel-finalize-summary").textContent = t("finalize_summary",
          { score: sbs.part_c_score, stage_max: sbs.stage_max });
        finalizeDialog.showModal();
      });
      $("panel-finalize-cancel").addEventListener("click", function () { finalizeDialog.close(); });
      $("panel-finalize-confirm").addEventListener("click", function () {
        finalizeDialog.close();
        var error = $("panel-finalize-error");
        socket.timeout(ACK_TIMEOUT).emit("finalize", { interview_id: cfg.interview_id, confirmed: true }, function (err, ack) {
          if (err || !ack) { showError(error, t("offline")); return; }
          if (!ack.ok) { showError(error, ack.message); return; }
          showError(error, "");
          applyState(ack.state);
          say(t("final_text", { score: ack.state.interview.final_score, stage_max: cfg.stage_max }));
        });
      });

      $("panel-correct-form").addEventListener("submit", function (e) {
        e.preventDefault();
        var form = e.target, error = $("panel-correct-error");
        socket.timeout(ACK_TIMEOUT).emit("correct", {
          interview_id: cfg.interview_id, score: form.querySelector("[name=score]").value,
          reason: form.querySelector("[name=reason]").value
        }, function (err, ack) {
          if (err || !ack) { showError(error, t("offline")); return; }
          if (!ack.ok) { showError(error, ack.message); return; }
          showError(error, "");
          form.reset();
          applyState(ack.state);
          say(t("final_corrected", { score: ack.state.interview.final_score, stage_max: cfg.stage_max }));
        });
      });

      var subForm = $("panel-substitute-form");
      if (subForm && subForm.querySelector("select")) {
        subForm.addEventListener("submit", function (e) {
          e.preventDefault();
          var error = $("panel-substitute-error");
          var select = subForm.querySelector("select");
          socket.timeout(ACK_TIMEOUT).emit("substitute", {
            interview_id: cfg.interview_id, user_id: Number(select.value)
          }, function (err, ack) {
            if (err || !ack) { showError(error, t("offline")); return; }
            if (!ack.ok) { showError(error, ack.message); return; }
            showError(error, "");
            var option = select.options[select.selectedIndex];
            if (option) option.remove();
            say(t("substitute_named"));
            applyState(ack.state);
          });
        });
      }
    }

    // For tests and for support staff looking at a member's screen.
    window.panelClient = {
      connected: function () { return socket.connected && joined; },
      outboxSize: function () { return outbox.size(); },
      state: function () { return state; }
    };
  }

  if ($("panel-app")) scoringPage();
  else if ($("panel-home")) homePage();
})();
