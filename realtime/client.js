/*
 * Live board client: connects, reconnects with backoff, resumes from the last event id and
 * drops duplicates. Plain ES2017, no build step; load with <script src=".../client.js"> and
 * call connectBoard(url, handlers). The protocol is described in docs/realtime.md.
 */
(function (root) {
  "use strict";

  var CLOSE_UNAUTHENTICATED = 4401;

  // Stream ids are "<milliseconds>-<sequence>"; both parts fit in a double.
  function compareIds(a, b) {
    var pa = a.split("-"), pb = b.split("-");
    var d = Number(pa[0]) - Number(pb[0]);
    return d !== 0 ? d : Number(pa[1]) - Number(pb[1]);
  }

  function absoluteUrl(url) {
    if (/^wss?:\/\//.test(url) || typeof location === "undefined") return url;
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + location.host + (url.charAt(0) === "/" ? url : "/" + url);
  }

  /**
   * connectBoard(url, {onSnapshot, onEvent, onStatus}, options) -> {close(), lastEventId()}
   *
   * onSnapshot(data, lastEventId): replace the whole board (first connect, or resume impossible).
   * onEvent(event): {id, event_type, at, unit_path, payload}; each id at most once, in order.
   * onStatus(status, detail): "connecting" | "live" | "reconnecting" (detail: delay ms) |
   *                           "unauthorized" (no more retries) | "closed".
   * options: minDelayMs (500), maxDelayMs (30000), silenceMs (60000: reconnect when the
   *          server has sent nothing, not even a ping, for this long), WebSocket (constructor).
   */
  function connectBoard(url, handlers, options) {
    handlers = handlers || {};
    options = options || {};
    var minDelay = options.minDelayMs || 500;
    var maxDelay = options.maxDelayMs || 30000;
    var silenceMs = options.silenceMs || 60000;
    var Socket = options.WebSocket || (typeof WebSocket !== "undefined" ? WebSocket : null);
    var base = absoluteUrl(url);

    var lastEventId = null;
    var delay = minDelay;
    var socket = null;
    var retryTimer = null;
    var silenceTimer = null;
    var stopped = false;

    function status(name, detail) {
      if (handlers.onStatus) handlers.onStatus(name, detail);
    }

    // batch=1: the server may put several events in one "events" frame (fewer frames on a busy board)
    function target() {
      var url = base + (base.indexOf("?") >= 0 ? "&" : "?") + "batch=1";
      return lastEventId ? url + "&last_event_id=" + encodeURIComponent(lastEventId) : url;
    }

    function advance(id) {
      if (id && (!lastEventId || compareIds(id, lastEventId) > 0)) lastEventId = id;
    }

    function watchSilence() {
      clearTimeout(silenceTimer);
      silenceTimer = setTimeout(function () {
        // A half-open connection never fires onclose by itself; force the reconnect.
        if (socket) socket.close();
      }, silenceMs);
    }

    function open() {
      retryTimer = null;
      if (stopped) return;
      status("connecting");
      var ws = new Socket(target());
      socket = ws;
      ws.onopen = watchSilence;
      ws.onmessage = function (message) {
        if (ws !== socket) return;
        watchSilence();
        var frame;
        try {
          frame = JSON.parse(message.data);
        } catch (err) {
          return;
        }
        handle(ws, frame);
      };
      ws.onclose = function (closing) {
        lost(ws, closing.code);
      };
      ws.onerror = function () {
        // Browsers follow a failed connect with a close event; some runtimes do not.
        if (ws.readyState !== 1) lost(ws, 1006);
      };
    }

    function lost(ws, code) {
      if (ws !== socket) return;
      socket = null;
      clearTimeout(silenceTimer);
      if (stopped) return;
      if (code === CLOSE_UNAUTHENTICATED) {
        stopped = true;
        status("unauthorized");
        return;
      }
      // Jitter, so a restarted server is not hit by every client at once.
      var wait = Math.round(delay / 2 + (Math.random() * delay) / 2);
      delay = Math.min(delay * 2, maxDelay);
      status("reconnecting", wait);
      retryTimer = setTimeout(open, wait);
    }

    function deliver(event) {
      if (lastEventId && compareIds(event.id, lastEventId) <= 0) return;
      lastEventId = event.id;
      if (handlers.onEvent) handlers.onEvent(event);
    }

    function handle(ws, frame) {
      switch (frame.type) {
        case "snapshot":
          lastEventId = frame.last_event_id;
          delay = minDelay;
          if (handlers.onSnapshot) handlers.onSnapshot(frame.data, frame.last_event_id);
          status("live");
          break;
        case "resumed":
          advance(frame.last_event_id);
          delay = minDelay;
          status("live");
          break;
        case "event":
          deliver(frame);
          break;
        case "events":
          frame.events.forEach(deliver);
          break;
        case "ping":
          advance(frame.last_event_id);
          ws.send(JSON.stringify({ type: "pong" }));
          break;
        default:
          break;
      }
    }

    open();

    return {
      close: function () {
        stopped = true;
        clearTimeout(retryTimer);
        clearTimeout(silenceTimer);
        if (socket) socket.close(1000);
        socket = null;
        status("closed");
      },
      lastEventId: function () {
        return lastEventId;
      },
    };
  }

  root.connectBoard = connectBoard;
})(typeof self !== "undefined" ? self : this);
