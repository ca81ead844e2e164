// The supervisor's board as a model: built from a snapshot, changed by events, read as a view of the same
// shape as the snapshot (GET /api/board), so the page draws both alike. No DOM and no fetching here: a board
// reads the database on connect (and when a resume cannot replay), never per event. What each event carries
// is in docs/realtime.md ("Boards updated in place").

const CALLBACK_TRACK = "callback";
const FINISHED = ["finished", "reached", "satisfied"];
const HOUR_MS = 3600_000;
const floorHour = (ms) => Math.floor(ms / HOUR_MS) * HOUR_MS;

// A ticket's sort key in a ranked list (重办 / 退单 / 重复 counts): higher first, then newer (the SQL's ORDER BY).
const LISTS = {
  dissatisfied: { figure: "reopen_count", threshold: "dissatisfied_count" },
  disputed: { figure: "return_count", threshold: "return_count" },
  repeat: { figure: "repeats", threshold: "repeat_count" },
};

/**
 * The model of a snapshot. `parentOf(unitId)` is the org tree (the page's /api/units), for "is this holder in
 * my subtree, under which of my child units".
 */
export function fromSnapshot(data, parentOf) {
  const rules = data.rules;
  const { hours, ...callbacks } = data.callbacks;
  const model = {
    data, parentOf, rules,
    unitId: data.unit.id,
    scopeAll: data.scope.all,
    xid: { xmin: Number(data.xid.xmin), xmax: Number(data.xid.xmax), xip: new Set(data.xid.xip.map(Number)) },
    states: Object.fromEntries(Object.entries(data.counts_by_state).map(([s, c]) => [s, c.label])),
    counts: Object.fromEntries(Object.entries(data.counts_by_state).map(([s, c]) => [s, c.count])),
    byUnit: new Map(data.counts_by_unit.map((u) => [u.unit_id, u.open])),
    tickets: new Map(),
    // what the snapshot's lists are exact up to: beyond their last row there may be rows it did not send
    countdownHorizon: data.countdown_complete ? null : lastClock([...data.countdown, ...data.countdown_next]),
    horizons: {},
    callbacks,
    // 回访 figures by the hour (UTC, epoch ms) of the callbacks: the window drops whole hours as time passes
    callbackHours: new Map(hours.map(([hour, ...counts]) => [Date.parse(hour), counts])),
    early: new Map(data.early_warnings.map((w) => [w.warning_id, w])),
    // a time the server has certainly passed (the snapshot's, then each overdue alert's due time): this page's
    // clock may lag the server's, and a clock the server called overdue must not look running here
    passed: Date.parse(data.generated_at),
    summaries: new Map(),
  };
  for (const row of [...data.countdown, ...data.countdown_next]) {
    const t = know(model, row);
    t.clocks.push({ deadline_id: row.deadline_id, track: row.track, rule_name: row.rule_name, due_at: row.due_at, warn_at: row.warn_at });
  }
  for (const [kind, list] of Object.entries(data.supervised)) {
    for (const row of list.items) {
      const t = know(model, row);
      if (row.reopen_count !== undefined) t.reopen_count = row.reopen_count;
      if (row.return_count !== undefined) t.return_count = row.return_count;
      if (row.repeats !== undefined) t.repeats = row.repeats;
    }
    if (LISTS[kind] && !list.complete && list.items.length) {
      const last = list.items[list.items.length - 1];
      model.horizons[kind] = { figure: last[LISTS[kind].figure], id: last.id };
    }
  }
  return model;
}

function lastClock(rows) {
  const last = rows[rows.length - 1];
  return last ? { due: Date.parse(last.due_at), id: last.deadline_id } : null;
}

function know(model, row) {
  let t = model.tickets.get(row.id);
  if (!t) {
    t = { id: row.id, clocks: [] };
    model.tickets.set(row.id, t);
  }
  Object.assign(t, {
    number: row.number, state: row.state, holder_unit_id: row.holder_unit_id, category_code: row.category_code,
    created_at: row.created_at,
  });
  if (row.summary) model.summaries.set(row.id, row.summary);
  return t;
}

/** Was the transaction `xid` committed when the snapshot was read (so its change is in the snapshot)? */
export function inSnapshot(snap, xid) {
  const x = Number(xid);
  if (x < snap.xmin) return true;
  if (x >= snap.xmax) return false;
  return !snap.xip.has(x);
}

export function inScope(model, unitId) {
  if (model.scopeAll) return true;
  for (let u = unitId; u !== null && u !== undefined; u = model.parentOf(u)) if (u === model.unitId) return true;
  return false;
}

/** The child unit of the board's unit that `unitId` is in (or is), or null. */
export function childOf(model, unitId) {
  for (let u = unitId; u !== null && u !== undefined; ) {
    const parent = model.parentOf(u);
    if (parent === model.unitId) return u;
    u = parent;
  }
  return null;
}

const isOpen = (model, state) => state in model.counts;

// One ticket leaves (sign -1) or enters (+1) the counts where it stands.
function count(model, state, holder, sign) {
  if (!state || !isOpen(model, state)) return;
  if (holder === null || holder === undefined ? !model.scopeAll : !inScope(model, holder)) return;
  model.counts[state] += sign;
  const child = childOf(model, holder);
  if (child !== null && model.byUnit.has(child)) model.byUnit.set(child, model.byUnit.get(child) + sign);
}

/**
 * Apply one event frame ({event_type, at, payload}); false when it changes nothing the snapshot did not
 * already hold. Events come once each and in order (client.js), so counts move by the event's own from/to.
 */
export function applyEvent(model, frame) {
  const p = frame.payload || {};
  if (p.xid !== undefined && inSnapshot(model.xid, p.xid)) return false;
  if (frame.event_type === "early.warning") {
    model.early.set(p.warning_id, { ...p, raised_at: frame.at });
    return true;
  }
  if (p.ticket_id === undefined) return false;
  if (frame.event_type === "sla.overdue" && p.due_at) model.passed = Math.max(model.passed, Date.parse(p.due_at));
  const moved = "from_state" in p;
  if (moved) {
    count(model, p.from_state, p.from_holder_unit_id, -1);
    count(model, p.state, p.holder_unit_id, +1);
  }
  applyCallbacks(model, frame, moved);
  applyTicket(model, p);
  return true;
}

function applyCallbacks(model, frame, moved) {
  const p = frame.payload;
  const c = model.callbacks;
  if (p.callback && inScope(model, p.holder_unit_id)) {
    const hour = floorHour(Date.parse(p.callback.at));
    const counts = model.callbackHours.get(hour) || [0, 0, 0];
    model.callbackHours.set(hour, counts.map((n, i) => n + p.callback[FINISHED[i]]));
  }
  // 回访超时: waiting tickets whose callback clock's overdue alert was raised
  if (frame.event_type === "sla.overdue" && p.track === CALLBACK_TRACK && p.state === "reviewed" && inScope(model, p.holder_unit_id)) {
    c.overdue += 1;
  }
  if (moved && p.from_state === "reviewed" && p.state !== "reviewed" && p.board && p.board.callback_overdue
      && inScope(model, p.from_holder_unit_id)) {
    c.overdue -= 1;
  }
}

const rate = (part, whole) => (whole ? Math.round((part / whole) * 10000) / 10000 : null);

function applyTicket(model, p) {
  if (!isOpen(model, p.state)) {
    model.tickets.delete(p.ticket_id); // closed or merged: on no list any more
    return;
  }
  let t = model.tickets.get(p.ticket_id);
  if (!t) {
    t = { id: p.ticket_id, clocks: [] };
    model.tickets.set(p.ticket_id, t);
  }
  Object.assign(t, { number: p.number, state: p.state, holder_unit_id: p.holder_unit_id, category_code: p.category_code });
  if (p.board) {
    t.repeats = p.board.repeats ?? undefined;
    t.clocks = p.board.clocks;
    t.reopen_count = p.board.reopen_count;
    t.return_count = p.board.return_count;
    t.created_at = p.board.created_at;
  }
}

// ---- the view: the snapshot's shape, from the model --------------------------------------------------

const byClock = (a, b) => Date.parse(a.due_at) - Date.parse(b.due_at) || a.deadline_id - b.deadline_id;

function withinClockHorizon(model, clock) {
  const h = model.countdownHorizon;
  if (!h) return true;
  const due = Date.parse(clock.due_at);
  return due < h.due || (due === h.due && clock.deadline_id <= h.id);
}

function listed(model) {
  return [...model.tickets.values()].filter((t) => isOpen(model, t.state) && inScope(model, t.holder_unit_id));
}

function row(model, t, extra) {
  return {
    id: t.id, number: t.number, state: t.state, state_label: model.states[t.state], holder_unit_id: t.holder_unit_id,
    category_code: t.category_code, summary: model.summaries.get(t.id) || "", created_at: t.created_at, ...extra,
  };
}

export function countdownView(model) {
  const clocks = [];
  for (const t of listed(model)) for (const c of t.clocks) if (withinClockHorizon(model, c)) clocks.push(row(model, t, c));
  return clocks.sort(byClock).slice(0, model.rules.countdown_shown);
}

/** 超期未办结: a running clock past its due time, the longest overdue first. */
export function overdueView(model, now) {
  const items = [];
  for (const t of listed(model)) {
    const known = t.clocks.filter((c) => withinClockHorizon(model, c));
    if (!known.length) continue;
    const due = Math.min(...known.map((c) => Date.parse(c.due_at)));
    if (due <= Math.max(now, model.passed)) items.push(row(model, t, { due_at: new Date(due).toISOString() }));
  }
  return items.sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at)).slice(0, model.rules.supervised_limit);
}

/** A ranked list (重办 / 退单 / 重复): its figure at or over the threshold, highest first, then newest. */
export function rankedView(model, kind, now) {
  const { figure, threshold } = LISTS[kind];
  const min = model.rules[threshold];
  const horizon = model.horizons[kind];
  const since = now - model.rules.repeat_days * 86400000;
  const items = listed(model).filter((t) => {
    const n = t[figure];
    if (n === undefined || n < min) return false;
    if (kind === "repeat" && !(Date.parse(t.created_at) > since)) return false;
    return !horizon || n > horizon.figure || (n === horizon.figure && t.id >= horizon.id);
  });
  items.sort((a, b) => b[figure] - a[figure] || b.id - a.id);
  return items.slice(0, model.rules.supervised_limit).map((t) => row(model, t, { [figure]: t[figure] }));
}

export function earlyView(model, now) {
  const since = now - model.rules.early_active_hours * 3600000;
  return [...model.early.values()].filter((w) => Date.parse(w.window_end) >= since)
    .sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at) || b.warning_id - a.warning_id);
}

/** The board as the model has it at `now` (ms), in the snapshot's shape. */
export function view(model, now) {
  const data = model.data;
  return {
    unit: data.unit,
    generated_at: data.generated_at,
    counts_by_state: Object.fromEntries(Object.entries(model.counts).map(([s, n]) => [s, { label: model.states[s], count: n }])),
    counts_by_unit: data.counts_by_unit.map((u) => ({ ...u, open: model.byUnit.get(u.unit_id) })),
    countdown: countdownView(model),
    supervised: Object.fromEntries(Object.entries(data.supervised).map(([kind, list]) => [kind, {
      label: list.label,
      items: kind === "overdue" ? overdueView(model, now) : rankedView(model, kind, now),
    }])),
    early_warnings: earlyView(model, now),
    callbacks: { ...model.callbacks, ...callbackWindow(model, now), waiting: model.counts.reviewed ?? model.callbacks.waiting },
  };
}

// The 回访 figures of the window at `now`, as the snapshot counts them (callback_window_start): from the start of
// the hour `days` days ago. Hours that have left it are forgotten.
function callbackWindow(model, now) {
  const since = floorHour(now) - model.callbacks.days * 24 * HOUR_MS;
  const totals = [0, 0, 0];
  for (const [hour, counts] of model.callbackHours) {
    if (hour < since) model.callbackHours.delete(hour);
    else counts.forEach((n, i) => { totals[i] += n; });
  }
  const [finished, reached, satisfied] = totals;
  return {
    since: new Date(since).toISOString(), finished, reached, satisfied,
    callback_rate: rate(reached, finished), satisfaction_rate: rate(satisfied, reached),
  };
}
