/* The online interview room (docs/video.md): the candidate's lobby and room, the panel's video
 * tiles beside the rubric, and the device check. The server decides who may enter
 * (POST enter_url gives the lobby or this person's credential for the room); Janus (janus.js,
 * served by the app) carries the media. Settings in #video-config, words in #video-messages.
 */
(function () {
  'use strict';

  var cfgEl = document.getElementById('video-config');
  var msgEl = document.getElementById('video-messages');
  if (!msgEl) return;
  var msg = JSON.parse(msgEl.textContent);
  var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : null;

  function $(id) { return document.getElementById(id); }
  function say(text, kind) {
    var el = $('video-status');
    if (!el) return;
    el.textContent = text;
    el.className = 'video-status' + (kind ? ' video-status-' + kind : '');
  }

  function deviceProblem(err) {
    var name = (err && (err.name || (err.error && err.error.name))) || String(err || '');
    if (/NotAllowed|Permission|Security/i.test(name)) return msg.denied;
    if (/NotFound|Overconstrained|DevicesNotFound/i.test(name)) return msg.missing;
    if (/NotReadable|TrackStart|Abort/i.test(name)) return msg.busy;
    return msg.missing;
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'Accept': 'application/json',
                'X-CSRFToken': cfg.csrf_token || ''},
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (data) { data.httpStatus = r.status; return data; },
                           function () { return {ok: false, httpStatus: r.status}; });
    });
  }

  function getJSON(url) {
    return fetch(url, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.json(); });
  }

  // ---- the device check ---------------------------------------------------------------------
  var checkBtn = $('device-check-start');
  if (checkBtn) {
    checkBtn.addEventListener('click', function () {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        say(msg.unsupported, 'error');
        return;
      }
      navigator.mediaDevices.getUserMedia({audio: true, video: {width: 640, height: 360}})
        .then(function (stream) {
          var v = $('device-preview');
          v.srcObject = stream;
          v.hidden = false;
          say(msg.device_ok, 'ok');
          meter(stream);
        })
        .catch(function (err) { say(deviceProblem(err), 'error'); });
    });
  }

  function meter(stream) {
    var bar = $('device-mic-level');
    if (!bar || !window.AudioContext) return;
    var ctx = new AudioContext();
    var analyser = ctx.createAnalyser();
    analyser.fftSize = 256;
    ctx.createMediaStreamSource(stream).connect(analyser);
    var data = new Uint8Array(analyser.frequencyBinCount);
    bar.hidden = false;
    (function tick() {
      analyser.getByteFrequencyData(data);
      var sum = 0;
      for (var i = 0; i < data.length; i++) sum += data[i];
      bar.value = Math.min(100, Math.round(sum / data.length));
      requestAnimationFrame(tick);
    })();
  }

  if (!cfg) return;

  // ---- the room ------------------------------------------------------------------------------
  var janus = null;
  var publisher = null;
  var creds = null;
  var myPrivateId = null;
  var feeds = {};       // feed id -> {handle, stream, tile}
  var stopped = false;  // the room closed or entry was refused: no more retries
  var pollTimer = null;

  function roleWord(role) { return msg[role] || role; }
  function parseDisplay(display) {
    var parts = String(display || '').split('|');
    return {role: parts[0], userId: parts[1], name: parts.slice(2).join('|')};
  }

  function tile(feedId, display) {
    var who = parseDisplay(display);
    var fig = document.createElement('figure');
    fig.className = 'video-tile';
    fig.dataset.feed = feedId;
    fig.dataset.role = who.role;
    var video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.className = 'video-remote';
    video.setAttribute('aria-label', roleWord(who.role) + ': ' + who.name);
    var cap = document.createElement('figcaption');
    cap.textContent = roleWord(who.role) + ' · ' + who.name;
    fig.appendChild(video);
    fig.appendChild(cap);
    $('video-tiles').appendChild(fig);
    return fig;
  }

  function removeFeed(feedId) {
    var f = feeds[feedId];
    if (!f) return;
    if (f.tile && f.tile.parentNode) f.tile.parentNode.removeChild(f.tile);
    try { f.handle.detach(); } catch (e) { /* gone */ }
    delete feeds[feedId];
  }

  function subscribe(p) {
    if (feeds[p.id] || !janus) return;
    var entry = {handle: null, stream: new MediaStream(), tile: tile(p.id, p.display)};
    feeds[p.id] = entry;
    janus.attach({
      plugin: 'janus.plugin.videoroom',
      success: function (handle) {
        entry.handle = handle;
        handle.send({message: {request: 'join', ptype: 'subscriber', room: creds.room,
                               streams: [{feed: p.id}], private_id: myPrivateId, token: creds.token}});
      },
      error: function () { removeFeed(p.id); },
      onmessage: function (m, jsep) {
        if (jsep) {
          entry.handle.createAnswer({
            jsep: jsep,
            tracks: [{type: 'data'}],
            success: function (answer) {
              entry.handle.send({message: {request: 'start', room: creds.room}, jsep: answer});
            },
            error: function () { removeFeed(p.id); }
          });
        }
      },
      onremotetrack: function (track, mid, on) {
        if (!on) {
          entry.stream.getTracks().forEach(function (t) { if (t.id === track.id) entry.stream.removeTrack(t); });
          return;
        }
        entry.stream.addTrack(track);
        var v = entry.tile.querySelector('video');
        if (v.srcObject !== entry.stream) v.srcObject = entry.stream;
        var played = v.play();
        if (played && played.catch) played.catch(function () { /* autoplay waits for a click */ });
      },
      oncleanup: function () { /* the tile goes with removeFeed */ }
    });
  }

  function publishOwn() {
    publisher.createOffer({
      tracks: [{type: 'audio', capture: true, recv: false},
               {type: 'video', capture: 'lowres', recv: false}],
      success: function (jsep) {
        publisher.send({message: {request: 'configure', audio: true, video: true, bitrate: creds.bitrate},
                        jsep: jsep});
      },
      error: function (err) { say(deviceProblem(err), 'error'); }
    });
  }

  function onRoomMessage(m, jsep) {
    var kind = m.videoroom;
    if (kind === 'joined') {
      myPrivateId = m.private_id;
      say(msg.connected, 'ok');
      document.body.dataset.videoState = 'in_room';
      publishOwn();
      (m.publishers || []).forEach(subscribe);
    } else if (kind === 'destroyed') {
      closeRoom(msg.closed);
    } else if (kind === 'event') {
      (m.publishers || []).forEach(subscribe);
      var gone = m.leaving || m.unpublished;
      if (gone === 'ok' && m.reason === 'kicked') {
        leave();
        say(msg.ended, 'warning');
        document.body.dataset.videoState = 'ended';
        schedule(enter, cfg.poll_seconds);
      } else if (gone && gone !== 'ok') {
        removeFeed(gone);
      }
      if (m.kicked) removeFeed(m.kicked);  // another participant was ended by the chair
      if (m.error_code) {
        leave();
        say(msg.refused + ' (' + m.error + ')', 'error');
      }
    }
    if (jsep) publisher.handleRemoteJsep({jsep: jsep});
  }

  function leave() {
    Object.keys(feeds).forEach(removeFeed);
    if (janus) { try { janus.destroy({cleanupHandles: true}); } catch (e) { /* gone */ } }
    janus = null;
    publisher = null;
    var local = $('video-local');
    if (local && local.srcObject) {
      local.srcObject.getTracks().forEach(function (t) { t.stop(); });
      local.srcObject = null;
    }
  }

  function closeRoom(text) {
    stopped = true;
    leave();
    say(text, 'info');
    document.body.dataset.videoState = 'closed';
  }

  function join(c) {
    creds = c;
    say(msg.connecting);
    Janus.init({
      debug: false,
      callback: function () {
        if (!Janus.isWebrtcSupported()) { say(msg.unsupported, 'error'); return; }
        janus = new Janus({
          server: wsUrl(creds.server),
          token: creds.token,
          iceServers: creds.ice_servers && creds.ice_servers.length ? creds.ice_servers : undefined,
          success: function () {
            janus.attach({
              plugin: 'janus.plugin.videoroom',
              success: function (handle) {
                publisher = handle;
                handle.send({message: {request: 'join', ptype: 'publisher', room: creds.room,
                                       display: creds.display, token: creds.token}});
              },
              error: function () { reconnect(); },
              onmessage: onRoomMessage,
              onlocaltrack: function (track, on) {
                var local = $('video-local');
                if (!local || track.kind !== 'video') return;
                if (on) {
                  local.srcObject = new MediaStream([track]);
                  local.hidden = false;
                }
              }
            });
          },
          error: function () { reconnect(); },
          destroyed: function () { /* left on purpose */ }
        });
      }
    });
  }

  // "/janus-ws" (behind the site's nginx, production) or a full ws(s):// URL.
  function wsUrl(server) {
    if (server.charAt(0) !== '/') return server;
    return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + server;
  }

  function reconnect() {
    if (stopped) return;
    leave();
    say(msg.reconnecting, 'warning');
    schedule(enter, 2);
  }

  function schedule(fn, seconds) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(fn, seconds * 1000);
  }

  function enter() {
    if (stopped) return;
    var consent = $('video-consent');
    post(cfg.enter_url, {consent: !!(consent && consent.checked)}).then(function (r) {
      if (r.ok && r.state === 'in_room') {
        if (r.recording) $('video-recorded').hidden = false;
        join(r);
      } else if (r.ok && r.state === 'consent') {
        say(msg.consent_needed, 'warning');
        if (consent) consent.focus();
        if (startBtn) startBtn.hidden = false;
      } else if (r.ok && r.state === 'lobby') {
        document.body.dataset.videoState = 'lobby';
        say(msg.lobby, 'info');
        schedule(enter, cfg.poll_seconds);
      } else if (r.httpStatus === 503 || r.httpStatus === 502) {
        say(msg.server, 'warning');
        schedule(enter, 5);
      } else {
        stopped = true;
        say(r.message || msg.refused, 'error');
        document.body.dataset.videoState = 'refused';
      }
    }, function () {
      say(msg.reconnecting, 'warning');
      schedule(enter, 5);
    });
  }

  var startBtn = $('video-start');
  if (startBtn) {
    startBtn.addEventListener('click', function () {
      startBtn.hidden = true;
      enter();
      if (cfg.role === 'chair') watchLobby();
    });
  }

  // ---- the chair: the lobby and who is connected -----------------------------------------------
  function watchLobby() {
    var box = $('video-chair');
    if (!box) return;
    box.hidden = false;
    var admit = $('video-admit');
    var end = $('video-end');
    admit.addEventListener('click', function () {
      admit.disabled = true;
      post(cfg.admit_url).then(refresh, refresh);
    });
    end.addEventListener('click', function () {
      // The house's confirmation dialog (forms.js): "No" has the focus.
      window.confirmAction({
        title: msg.end,
        text: msg.confirm_end,
        yes: msg.confirm_end_yes,
        cancel: msg.confirm_cancel,
        returnFocus: end
      }, function () {
        end.disabled = true;
        post(cfg.end_url, {reason: ''}).then(refresh, refresh);
      });
    });
    function refresh() {
      getJSON(cfg.state_url).then(function (s) {
        var lobby = $('video-lobby-state');
        var state = s.candidate_state;
        lobby.textContent = state === 'lobby' ? msg.waiting : state === 'admitted' ? msg.in_room : msg.no_one_waiting;
        admit.hidden = state !== 'lobby';
        admit.disabled = false;
        end.hidden = state !== 'admitted';
        end.disabled = false;
        var list = $('video-connected');
        list.textContent = '';
        (s.connected || []).forEach(function (p) {
          var li = document.createElement('li');
          li.textContent = roleWord(p.role) + ' · ' + p.name;
          li.dataset.role = p.role;
          list.appendChild(li);
        });
      }, function () { /* next round */ });
    }
    refresh();
    setInterval(function () { if (!stopped) refresh(); }, cfg.poll_seconds * 1000);
  }

  window.addEventListener('pagehide', leave);
})();
