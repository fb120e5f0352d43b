/* What the live pages share (exam.js for candidates, panel.js for interview panels), as
 * window.BmaLive: reading the page's JSON, building elements, the Socket.IO connection that joins
 * again after every reconnect, and the outbox: messages kept in localStorage until the server has
 * acknowledged them after its commit, and sent again with the same seq after a reconnect (the
 * server stores each seq once). Holds no language: the pages pass their translated texts in.
 * Load it before exam.js or panel.js. */
(function () {
  "use strict";

  var SOCKET_OPTIONS = { transports: ["websocket", "polling"], tryAllTransports: true };
  var ACK_TIMEOUT = 5000;
  var JOIN_TIMEOUT = 10000;
  var RETRY_DELAY = 2000;  // a join or an unacknowledged outbox goes again after this

  // ---- small helpers ------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  function readJSON(id) {
    var node = $(id);
    if (!node) return {};
    try { return JSON.parse(node.textContent); } catch (e) { return {}; }
  }

  /* t(key, params) over a page's translated messages; "{name}" placeholders are filled from
     params, and an unknown key shows as itself. */
  function translator(messages) {
    return function (key, params) {
      var text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
      if (!params) return text;
      return text.replace(/\{(\w+)\}/g, function (whole, name) {
        return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
      });
    };
  }

  /* el("p", {class: "x", text: "..."}, [children]) */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) {
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  // ---- what survives a reload ---------------------------------------------------------------

  function localStorageOrNull(probe) {
    try {
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null;  // private mode or storage disabled: keep the outbox in memory only
    }
  }

  /* JSON values under "<app>:<key>:<name>" in localStorage (in memory where it is off).
     `writable`, if given, is asked before each write: a page that gave up its outbox to a newer
     one must not write over it. */
  function keyedStore(app, key, writable) {
    var store = localStorageOrNull(app + ":probe");
    var prefix = app + ":" + key + ":";
    var memory = {};
    return {
      load: function (name, fallback) {
        try {
          var raw = store ? store.getItem(prefix + name) : memory[name];
          return raw ? JSON.parse(raw) : fallback;
        } catch (e) { return fallback; }
      },
      save: function (name, value) {
        if (writable && !writable()) return;
        var raw = JSON.stringify(value);
        try { if (store) store.setItem(prefix + name, raw); else memory[name] = raw; } catch (e) {
          memory[name] = raw;
        }
      },
      remove: function (name) {
        delete memory[name];
        if (store) { try { store.removeItem(prefix + name); } catch (e) { /* nothing kept */ } }
      }
    };
  }

  // ---- the outbox ---------------------------------------------------------------------------

  /* The messages the server has not acknowledged yet, in order, at most one per slot (a
     question, a criterion: slotOf(entry) names it), each with a seq that only grows on this
     device. `entries` may be read; change them only through the methods. */
  function Outbox(store, slotOf) {
    this.store = store;
    this.slotOf = function (entry) { return String(slotOf(entry)); };
    this.entries = store.load("outbox", []);
    this.counter = Number(store.load("seq", 0)) || 0;
    this.inflight = {};      // seq -> true while a message waits for its ack
    this.flushTimer = null;
  }

  /* Keep a new message (replacing an older one of its slot) before it is sent: from here on it
     survives a reload or a lost connection. Returns it with its seq. */
  Outbox.prototype.add = function (fields) {
    this.counter += 1;
    this.store.save("seq", this.counter);
    var entry = Object.assign({}, fields, { seq: this.counter });
    var slot = this.slotOf(entry), slotOf = this.slotOf;
    this.entries = this.entries.filter(function (e) { return slotOf(e) !== slot; });
    this.entries.push(entry);
    this.store.save("outbox", this.entries);
    return entry;
  };

  /* The message of this slot still waiting for its ack, or null. */
  Outbox.prototype.pending = function (slot) {
    var found = null, slotOf = this.slotOf;
    this.entries.forEach(function (e) { if (slotOf(e) === String(slot)) found = e; });
    return found;
  };

  Outbox.prototype.size = function () { return this.entries.length; };

  /* The message with this seq is done with (stored, or refused for good). */
  Outbox.prototype.drop = function (seq) {
    var before = this.entries.length;
    this.entries = this.entries.filter(function (e) { return e.seq !== seq; });
    if (this.entries.length !== before) this.store.save("outbox", this.entries);
  };

  /* Nothing is left to send: the server refuses these messages from now on. */
  Outbox.prototype.clear = function () {
    this.entries = [];
    this.store.save("outbox", this.entries);
  };

  /* As clear(), and nothing of it stays in storage either (the attempt is over). */
  Outbox.prototype.forget = function () {
    this.cancelFlush();
    this.entries = [];
    this.store.remove("outbox");
    this.store.remove("seq");
  };

  /* The seqs the server has seen (from a joined state): new messages must go past them and past
     those still waiting here. */
  Outbox.prototype.noteSeqs = function (seqs) {
    var counter = this.counter;
    (seqs || []).forEach(function (seq) { counter = Math.max(counter, Number(seq) || 0); });
    this.entries.forEach(function (e) { counter = Math.max(counter, e.seq); });
    this.counter = counter;
    this.store.save("seq", counter);
  };

  /* The server stored the message with this seq; its ack's seq is the one it now holds (another
     device of the same person may have gone further). */
  Outbox.prototype.stored = function (seq, ackSeq) {
    this.drop(seq);
    if (ackSeq > this.counter) { this.counter = ackSeq; this.store.save("seq", this.counter); }
  };

  /* True, and marked in flight, unless that message already waits for its ack. */
  Outbox.prototype.startSending = function (seq) {
    if (this.inflight[seq]) return false;
    this.inflight[seq] = true;
    return true;
  };

  Outbox.prototype.doneSending = function (seq) { delete this.inflight[seq]; };

  /* The connection is gone: no ack will come for what was in flight. */
  Outbox.prototype.connectionLost = function () { this.inflight = {}; };

  /* Hand every waiting message to send(entry), in order. */
  Outbox.prototype.flush = function (send) {
    this.cancelFlush();
    this.entries.forEach(send);
  };

  /* Call flush() a little later, once however often asked. */
  Outbox.prototype.scheduleFlush = function (flush) {
    if (!this.flushTimer) this.flushTimer = setTimeout(flush, RETRY_DELAY);
  };

  Outbox.prototype.cancelFlush = function () {
    clearTimeout(this.flushTimer);
    this.flushTimer = null;
  };

  // ---- the connection -----------------------------------------------------------------------

  /* A Socket.IO connection to `namespace` that emits "join" after every (re)connect and tries
     again while the server answers nothing or asks for a retry. The page's hooks:
       joinData()            the join's payload
       stopped()             optional: true once this page must not act any more
       connected(again)      on each connect, before the join (again: not the first one)
       joined(state)         the server accepted the join
       refused(ack)          the server refused the join for good
       disconnected(reason)  the connection was lost (Socket.IO's reason)
       connectFailed(why)    a connect failed; why.refused: the server turned this session
                             away (log in again), why.again: it had been connected before
     Returns {socket, join}. */
  function connect(namespace, hooks) {
    var socket = window.io(namespace, SOCKET_OPTIONS);
    var everConnected = false;

    function stopped() { return !!(hooks.stopped && hooks.stopped()); }

    function join() {
      socket.timeout(JOIN_TIMEOUT).emit("join", hooks.joinData(), function (err, ack) {
        if (stopped()) return;
        if (err || !ack) {
          if (socket.connected) setTimeout(join, RETRY_DELAY);
          return;
        }
        if (!ack.ok) {
          if (ack.error === "retry") { setTimeout(join, RETRY_DELAY); return; }
          hooks.refused(ack);
          return;
        }
        hooks.joined(ack.state);
      });
    }

    socket.on("connect", function () {
      if (stopped()) return;
      hooks.connected(everConnected);
      everConnected = true;
      join();
    });
    socket.on("disconnect", function (reason) { hooks.disconnected(reason); });
    socket.on("connect_error", function (err) {
      // The server busy (every database connection taken at once, a hall connecting again):
      // it asks to retry, and Socket.IO does not retry a refused connect by itself.
      if (err && err.message === "retry") {
        setTimeout(function () { if (!stopped() && !socket.connected) socket.connect(); }, RETRY_DELAY);
        hooks.connectFailed({ refused: false, again: everConnected });
        return;
      }
      hooks.connectFailed({ refused: !socket.active, again: everConnected });
    });
    return { socket: socket, join: join };
  }

  window.BmaLive = {
    SOCKET_OPTIONS: SOCKET_OPTIONS,
    ACK_TIMEOUT: ACK_TIMEOUT,
    $: $,
    readJSON: readJSON,
    translator: translator,
    el: el,
    keyedStore: keyedStore,
    Outbox: Outbox,
    connect: connect
  };
})();
