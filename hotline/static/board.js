// 督办大屏 (supervisor): a snapshot over /ws/board on connect, then events that update the board in place
// (board_state.js): counts, countdowns, the supervised lists, 回访 figures and the alert feed, with no
// re-read of the board per event. Only the supervision orders' panel is re-read, on the events about orders.
import { api, boot, h, clear, afterRelease, run, ask, countdown, fmtDateTime, fmtTime, serverNow, stateLabel, loadUnits, toast, $ } from "./common.js";
import { issuedPanel } from "./sections.js";
import { applyEvent, fromSnapshot, view } from "./board_state.js";

const EVENTS = boot.labels.events;
const ALERT_EVENTS = new Set(boot.labels.alert_events);
const ALERT_LABELS = { warning: "即将超期", overdue: "超期", order: "督办单", escalated: "督办逾期上报", early: "未诉先办预警" };
const FEED_LIMIT = 60;
const RENDER_AFTER_MS = 50; // a burst of events is drawn once
const ORDER_EVENTS = new Set([EVENTS.SUPERVISION_ORDER, EVENTS.SUPERVISION_ANSWERED, EVENTS.SUPERVISION_ESCALATED]);

const feed = []; // newest first
const feedKeys = new Set();
const seenEvents = new Set();
let units = new Map();
let model = null;
let renderTimer = null;
let ordersTimer = null;

const unitName = (id) => (units.get(id) || {}).name || "";
const parentOf = (id) => (units.get(id) || {}).parent_id ?? null;

function onSnapshot(data) {
  model = fromSnapshot(data, parentOf);
  drawBoard();
  mergeSnapshotAlerts([...data.alerts.map(alertFromSnapshot), ...data.early_warnings.map(alertFromWarning)]);
}

function scheduleRender() {
  if (renderTimer) return;
  renderTimer = setTimeout(() => {
    renderTimer = null;
    if (model) drawBoard();
  }, RENDER_AFTER_MS);
}

// On a busy city's board events come every few milliseconds: a redraw between the press on 督办 or 催办 and its
// release would swallow the click, so a redraw waits for the release (afterRelease) and shows the model then.
function drawBoard() {
  afterRelease(document.body, () => renderBoard(view(model, serverNow())));
}

function renderBoard(data) {
  $("#board-unit").textContent = data.unit.name;
  clear($("#tiles"), Object.entries(data.counts_by_state).map(([state, c]) => h("div", {
    class: "tile", dataset: { state }, style: `--tile:${stateColour(state)}`,
  }, h("span", { class: "tile-n", text: String(c.count) }), h("span", { class: "tile-label", text: c.label }))));

  clear($("#countdown"), data.countdown.length ? data.countdown.map((d) => h("li", { dataset: { ticket: d.id, deadline: d.deadline_id } },
    h("div", { class: "cd-line" }, h("span", { class: "mono", text: d.number }), countdown(d.due_at, d.warn_at)),
    h("div", { class: "cd-line" },
      h("span", { class: "cd-meta", text: `${shortName(unitName(d.holder_unit_id) || d.holder_unit_name || "")} · ${d.rule_name}`, title: d.summary }),
      h("span", { class: "ops" }, ticketButtons(d.id, d.number))))) : h("li", { class: "muted", text: "没有计时中的工单" }));

  const max = Math.max(1, ...data.counts_by_unit.map((u) => u.open));
  clear($("#units"), data.counts_by_unit.length ? data.counts_by_unit.map((u) => h("div", { class: "bar-row", dataset: { unit: u.unit_id } },
    h("span", { class: "bar-name", text: shortName(u.name), title: u.name }),
    h("span", { class: "bar" }, h("span", { style: `width:${(100 * u.open) / max}%` })),
    h("span", { class: "bar-n", text: String(u.open) }))) : h("p", { class: "muted", text: "无下级单位" }));

  clear($("#supervised"), Object.entries(data.supervised).map(([kind, list]) => h("div", { class: "sup", dataset: { kind } },
    h("h3", {}, list.label, h("span", { class: "count", text: String(list.items.length) })),
    h("ul", { class: "sup-list" }, list.items.length ? list.items.map((t) => h("li", { dataset: { ticket: t.id } },
      h("span", { class: "mono", text: t.number }),
      h("span", { class: "sup-unit", text: unitName(t.holder_unit_id) || t.holder_unit_name || "" }),
      supervisedFigure(kind, t),
      h("span", { class: "ops" }, ticketButtons(t.id, t.number)),
      h("div", { class: "summary", text: t.summary }))) : h("li", { class: "muted", text: "无" })))));

  renderEarly(data.early_warnings);
  renderCallbacks(data.callbacks);
}

// 回访率 and 满意率 over the last days, and the tickets waiting for their callback.
function renderCallbacks(c) {
  if (!c) return;
  const pct = (x) => (x === null || x === undefined ? "—" : `${(100 * x).toFixed(1)}%`);
  $("#cb-days").textContent = String(c.days);
  $("#cb-rate").textContent = pct(c.callback_rate);
  $("#cb-rate").title = `已回访 ${c.reached} / 回访结束 ${c.finished}`;
  $("#cb-satisfaction").textContent = pct(c.satisfaction_rate);
  $("#cb-satisfaction").title = `满意和基本满意 ${c.satisfied} / 已回访 ${c.reached}`;
  $("#cb-waiting").textContent = String(c.waiting);
  $("#cb-overdue").textContent = String(c.overdue);
}

// Active early warnings (未诉先办) of this subtree: clusters still in or just past their window.
function renderEarly(warnings) {
  $("#n-early").textContent = String(warnings.length);
  clear($("#early tbody"), warnings.length ? warnings.map((w) => h("tr", { dataset: { warning: w.warning_id, kind: w.cluster_kind } },
    h("td", { class: "wrap", text: w.rule_name, title: w.sample_text || "" }),
    h("td", { text: `${fmtDateTime(w.window_start)} – ${fmtTime(w.window_end)}` }),
    h("td", { class: "figure", text: `${w.ticket_count} 件` }),
    h("td", { class: "mono", text: w.number || "" }),
    h("td", { class: "ops" }, w.ticket_id ? ticketButtons(w.ticket_id, w.number) : null))) :
    h("tr", {}, h("td", { colspan: 5, class: "muted", text: "暂无未诉先办预警" })));
}

// Within a district's board, "东湖区住房和城乡建设局" reads better as "住房和城乡建设局".
function shortName(name) {
  const own = $("#board-unit").textContent;
  return own && name.startsWith(own) && name.length > own.length ? name.slice(own.length) : name;
}

function stateColour(state) {
  return (boot.labels.states[state] || {}).colour || "#666";
}

function supervisedFigure(kind, t) {
  if (kind === "overdue" && t.due_at) return countdown(t.due_at, null);
  if (t.reopen_count !== undefined) return h("span", { class: "figure", text: `重办 ${t.reopen_count} 次` });
  if (t.repeats !== undefined) return h("span", { class: "figure", text: `重复 ${t.repeats} 次` });
  if (t.return_count !== undefined) return h("span", { class: "figure", text: `退单 ${t.return_count} 次` });
  return h("span", { class: "figure", text: stateLabel(t.state) });
}

function ticketButtons(id, number) {
  return [
    h("button", { type: "button", class: "small", text: "督办", onclick: (e) => supervise(e.currentTarget, id, number) }),
    h("button", { type: "button", class: "small", text: "催办", onclick: (e) => urge(e.currentTarget, id, number) }),
  ];
}

async function supervise(button, id, number) {
  const v = await ask(`下发督办单 · ${number}`, [{ name: "reason", label: "督办事由", type: "textarea", required: true }], "下发");
  if (v) await run(button, () => api("POST", `/api/tickets/${id}/supervise`, { reason: v.reason }), "督办单已下发");
}

async function urge(button, id, number) {
  const v = await ask(`催办 · ${number}`, [{ name: "text", label: "催办内容", type: "textarea", required: true, value: "请尽快办理并反馈" }], "催办");
  if (v) await run(button, () => api("POST", `/api/tickets/${id}/urge`, { text: v.text }), "已催办");
}

// ---- the alert feed -------------------------------------------------------

function alertFromEvent(frame) {
  const p = frame.payload || {};
  const escalated = frame.event_type === EVENTS.SUPERVISION_ESCALATED;
  const order = frame.event_type === EVENTS.SUPERVISION_ORDER || escalated;
  return {
    key: escalated ? `escalated:${p.order_id}:${frame.id}` : order ? `order:${p.order_id}:${frame.id}` : `alert:${p.alert_id}`,
    at: frame.at,
    kind: escalated ? "escalated" : order ? "order" : p.kind,
    ticketId: p.ticket_id,
    number: p.number,
    rule: order ? "" : p.rule_name,
    unit: unitName(p.unit_id || p.holder_unit_id),
    reason: order ? p.reason : "",
  };
}

function alertFromSnapshot(a) {
  return {
    key: `alert:${a.alert_id}`, at: a.raised_at, kind: a.kind, ticketId: a.id, number: a.number,
    rule: a.rule_name, unit: a.holder_unit_name || unitName(a.holder_unit_id), reason: "",
  };
}

function addAlert(item, fresh) {
  if (feedKeys.has(item.key)) return false;
  feedKeys.add(item.key);
  feed.push({ ...item, fresh });
  feed.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  feed.splice(FEED_LIMIT);
  return true;
}

// The same warning as its live event (same key), so it is shown once whichever arrives first.
function alertFromWarning(w) {
  return {
    key: `alert:${w.alert_id}`, at: w.raised_at, kind: "early", ticketId: w.ticket_id, number: w.number,
    rule: w.rule_name, unit: unitName(w.unit_id) || "多个社区", reason: "",
  };
}

function mergeSnapshotAlerts(items) {
  let changed = false;
  for (const item of items) changed = addAlert(item, false) || changed;
  if (changed || !feed.length) renderFeed();
}

function renderFeed() {
  $("#n-alerts").textContent = String(feed.length);
  afterRelease($("#alerts"), () => clear($("#alerts"), feed.length ? feed.map((a) => {
    const node = h("li", { class: `alert alert-${a.kind}${a.fresh ? " fresh" : ""}`, dataset: { key: a.key } },
      h("time", { datetime: a.at, text: fmtTime(a.at) }),
      h("span", { class: "alert-kind", text: ALERT_LABELS[a.kind] || a.kind }),
      h("span", { class: "mono", text: a.number || "" }),
      h("span", { class: "alert-unit", text: a.unit || "" }),
      a.rule ? h("span", { class: "alert-rule", text: a.rule }) : null,
      a.reason ? h("span", { class: "alert-reason", text: a.reason }) : null,
      a.ticketId ? h("span", { class: "ops" }, ticketButtons(a.ticketId, a.number)) : null);
    a.fresh = false;
    return node;
  }) : h("li", { class: "muted", text: "暂无预警" })));
}

// ---- realtime ------------------------------------------------------------

function onEvent(frame) {
  if (seenEvents.has(frame.id)) return;
  seenEvents.add(frame.id);
  if (ALERT_EVENTS.has(frame.event_type)) {
    if (addAlert(alertFromEvent(frame), true)) renderFeed();
  }
  if (model && applyEvent(model, frame)) scheduleRender();
  if (ORDER_EVENTS.has(frame.event_type)) scheduleOrders();
}

// The panel of orders this unit issued: re-read when an order is issued, answered or escalated, not per event.
function scheduleOrders() {
  if (ordersTimer) return;
  ordersTimer = setTimeout(() => {
    ordersTimer = null;
    loadOrders().catch(() => {});
  }, 300);
}

const STATUS_TEXT = { connecting: "连接中…", live: "实时", reconnecting: "重连中…", unauthorized: "登录已过期", closed: "已断开" };

function onStatus(status, detail) {
  const node = $("#conn");
  node.dataset.status = status;
  node.textContent = status === "reconnecting" ? `重连中（${Math.ceil(detail / 1000)} 秒）` : STATUS_TEXT[status] || status;
  if (status === "unauthorized") location.assign("/login?next=/board");
}

// ---- appeals -------------------------------------------------------------

async function loadAppeals() {
  const data = await api("GET", "/api/appeals");
  const open = data.items.filter((a) => a.status === "pending").length;
  $("#n-appeals").textContent = String(open);
  const STATUS = { pending: "待审核", approved: "已通过", rejected: "已驳回" };
  const rows = $("#appeals tbody");
  afterRelease(rows, () => clear(rows, data.items.length ? data.items.map((a) => h("tr", { dataset: { appeal: a.id } },
    h("td", { class: "mono", text: a.ticket_number }),
    h("td", { text: a.unit_name || unitName(a.unit_id) }),
    h("td", { text: a.kind_label }),
    h("td", { class: "wrap", text: a.reason }),
    h("td", { text: fmtDateTime(a.filed_at) }),
    h("td", { text: STATUS[a.status] || a.status, title: a.decision_note || "" }),
    h("td", { class: "ops" }, a.status === "pending" ? [
      h("button", { type: "button", class: "small", text: "通过", onclick: (e) => decide(e.currentTarget, a, true) }),
      h("button", { type: "button", class: "small danger", text: "驳回", onclick: (e) => decide(e.currentTarget, a, false) }),
    ] : null))) : h("tr", {}, h("td", { colspan: 7, class: "muted", text: "暂无申诉" }))));
}

async function decide(button, appeal, approve) {
  const v = await ask(approve ? "通过申诉（不计入该单位考核）" : "驳回申诉", [{ name: "note", label: "审核意见", type: "textarea" }],
    approve ? "通过" : "驳回");
  if (!v) return;
  const done = await run(button, () => api("POST", `/api/appeals/${appeal.id}/decision`, { approve, note: v.note }),
    approve ? "申诉已通过" : "申诉已驳回");
  if (done) loadAppeals();
}

// ---- supervision orders to the units below ------------------------------------

function loadOrders() {
  return issuedPanel($("#orders-issued-panel"), () => loadOrders().catch(() => {}));
}

// ---- start -----------------------------------------------------------------

function showClock() {
  $("#board-clock").textContent = fmtTime(new Date(serverNow()).toISOString());
}

async function start() {
  showClock();
  setInterval(showClock, 1000);
  try {
    units = await loadUnits();
  } catch (err) {
    toast("读取单位失败：" + err.message, "error");
  }
  window.connectBoard("/ws/board", { onSnapshot, onEvent, onStatus });
  // time alone moves a few figures (a clock passing its due time, a repeat or warning ageing out): redrawn
  // from the model, nothing re-read
  setInterval(scheduleRender, 30000);
  loadAppeals().catch((err) => toast("读取申诉失败：" + err.message, "error"));
  loadOrders().catch((err) => toast("读取督办单失败：" + err.message, "error"));
  setInterval(() => loadAppeals().catch(() => {}), 60000);
}
start();
