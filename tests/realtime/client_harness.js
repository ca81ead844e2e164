// Runs realtime/client.js under node (node --experimental-websocket harness.js client.js url)
// and prints one JSON line per callback, for tests/realtime/test_client_js.py to read.
"use strict";
const { connectBoard } = require(process.argv[2]);

function out(line) {
  process.stdout.write(JSON.stringify(line) + "\n");
}

const board = connectBoard(
  process.argv[3],
  {
    onSnapshot(data, lastEventId) {
      out({ kind: "snapshot", data, last_event_id: lastEventId });
    },
    onEvent(event) {
      out({ kind: "event", id: event.id, event_type: event.event_type });
      if (event.payload.last) board.close();
    },
    onStatus(status, detail) {
      out({ kind: "status", status, detail });
      if (status === "unauthorized" || status === "closed") setTimeout(() => process.exit(0), 20);
    },
  },
  { minDelayMs: 50, maxDelayMs: 200, silenceMs: 5000 }
);
