// What every page shares: the JSON API client, a DOM builder that only ever sets text,
// times and countdowns in the city's time zone, toasts, dialogs, the trail of a ticket.
// Nothing a user typed is ever inserted as HTML: `h()` builds elements and sets textContent.

const bootNode = document.getElementById("boot");
export const boot = bootNode ? JSON.parse(bootNode.textContent) : { labels: {}, user: null };
const labels = boot.labels || {};
const clockOffset = boot.server_now_ms ? boot.server_now_ms - Date.now() : 0;

// Actions recorded without a state change have no enum in dispatch/states.py.
const EXTRA_ACTIONS = {
  note: "办理进展",
  recategorise: "更正分类",
  urge: "催办",
  supervision_order: "督办单",
  sla_warning: "即将超期预警",
  sla_overdue: "超期",
  appeal: "申诉",
  appeal_approved: "申诉通过",
  appeal_rejected: "申诉驳回",
  merged_in: "并入工单",
  import: "历史工单导入",
  callback_unreachable: "回访未接通",
  order_answered: "督办答复",
  order_closed: "督办办结",
  order_reissued: "督办重新下发",
  order_escalated: "督办逾期上报",
  co_note: "协办进展",
  co_contact: "协办联系诉求人",
  co_done: "协办完成",
  co_units_added: "增加协办单位",
  kb_linked: "引用知识库答复",
};

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

export async function api(method, path, body, headers) {
  const init = { method, headers: { Accept: "application/json", ...(headers || {}) }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "network", "网络连接失败，请检查网络后重试");
  }
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  if (response.status === 401 && !path.startsWith("/api/auth/login")) {
    location.assign("/login?next=" + encodeURIComponent(location.pathname));
    throw new ApiError(401, "unauthenticated", "登录已过期，请重新登录");
  }
  if (response.status === 403 && data && data.error && data.error.code === "password_change_required") {
    location.assign("/account/password?next=" + encodeURIComponent(location.pathname));
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || "error", error.message || `请求失败（${response.status}）`, error.details);
  }
  return data;
}

// h("div", {class: "x", onclick: fn, dataset: {id: 1}, title: "t"}, "text", child, [more])
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export const $ = (selector, root) => (root || document).querySelector(selector);

// A live re-render can land between the press on a button and its release: elements rebuilt under the pointer
// get no click (the press and the release hit different elements), and the user's action is lost. While a
// pointer is down inside `scope`, the latest `render` waits for the release and runs after the click it makes;
// a render made meanwhile (the click's own) is newer, and the waiting one is dropped.
const pressed = new Set(); // scopes with a pointer down in them, until it is released
const waiting = new WeakMap();
const watched = new WeakSet();
let listening = false;

function watchPresses(scope) {
  if (watched.has(scope)) return;
  if (!listening) for (const type of ["pointerup", "pointercancel", "blur"]) window.addEventListener(type, release);
  listening = true;
  watched.add(scope);
  scope.addEventListener("pointerdown", () => pressed.add(scope));
}

function release() {
  const released = [...pressed];
  pressed.clear();
  if (released.length) setTimeout(() => {
    for (const scope of released) {
      const render = waiting.get(scope);
      waiting.delete(scope);
      if (render) render();
    }
  });
}

export function afterRelease(scope, render) {
  watchPresses(scope);
  if (pressed.has(scope)) {
    waiting.set(scope, render);
    return;
  }
  waiting.delete(scope);
  render();
}

export function stateLabel(state) {
  return (labels.states && labels.states[state] && labels.states[state].label) || state;
}

export function stateBadge(state, label) {
  const colour = labels.states && labels.states[state] && labels.states[state].colour;
  return h("span", { class: "badge", style: colour ? `--badge:${colour}` : null, text: label || stateLabel(state) });
}

export function actionLabel(action) {
  return (labels.actions && labels.actions[action]) || EXTRA_ACTIONS[action] || action;
}

export function typeLabel(type) {
  return (labels.types && labels.types[type]) || type;
}

export function trackLabel(track) {
  return (labels.tracks && labels.tracks[track]) || track;
}

export function allowed(state, action) {
  return Boolean(labels.allowed && (labels.allowed[state] || []).includes(action));
}

export const TYPES = Object.entries(labels.types || {});

const zone = boot.timezone || undefined;
const dateTimeFormat = new Intl.DateTimeFormat("zh-CN", {
  timeZone: zone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
});
const timeFormat = new Intl.DateTimeFormat("zh-CN", {
  timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
});

export function fmtDateTime(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : "";
}

export function fmtTime(iso) {
  return iso ? timeFormat.format(new Date(iso)) : "";
}

export function serverNow() {
  return Date.now() + clockOffset;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

export function duration(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const clock = `${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
  if (days) return `${days}天${pad(hours)}:${clock}`;
  return hours ? `${hours}:${clock}` : clock;
}

// A span that counts down to `dueIso` (warning from `warnIso`) and keeps ticking: see tick().
export function countdown(dueIso, warnIso, paused) {
  const node = h("span", { class: "countdown", dataset: { due: dueIso || "", warn: warnIso || "" } });
  if (paused) node.dataset.paused = "1";
  paint(node, serverNow());
  return node;
}

function paint(node, now) {
  const due = node.dataset.due ? Date.parse(node.dataset.due) : NaN;
  if (Number.isNaN(due)) {
    node.textContent = "—";
    return;
  }
  if (node.dataset.paused) {
    node.textContent = "已暂停";
    node.className = "countdown due-paused";
    return;
  }
  const left = due - now;
  const warn = node.dataset.warn ? Date.parse(node.dataset.warn) : NaN;
  let state = "due-ok";
  if (left <= 0) state = "due-over";
  else if (!Number.isNaN(warn) && now >= warn) state = "due-warn";
  node.className = "countdown " + state;
  node.textContent = left > 0 ? `剩 ${duration(left)}` : `超期 ${duration(left)}`;
}

export function tick() {
  const now = serverNow();
  for (const node of document.querySelectorAll(".countdown[data-due]")) paint(node, now);
}
setInterval(tick, 1000);

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// Random enough, and unlike crypto.randomUUID also available on plain-http intranet pages.
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function toast(message, kind) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const node = h("div", { class: "toast " + (kind || "info"), text: message });
  box.prepend(node);
  setTimeout(() => node.remove(), kind === "error" ? 8000 : 4000);
}

// Run an API call for a button: disable it meanwhile, toast the outcome; resolves to the result or null.
export async function run(button, call, success) {
  if (button) button.disabled = true;
  try {
    const result = await call();
    if (success) toast(success, "ok");
    return result;
  } catch (err) {
    toast(err.message || String(err), "error");
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

// A modal form; resolves to {name: value} or null when cancelled.
// fields: [{name, label, type: "text"|"textarea"|"number"|"select", options: [[value, label]], required, value}]
export function ask(title, fields, submitLabel) {
  return new Promise((resolve) => {
    const inputs = {};
    const rows = fields.map((f) => {
      let input;
      if (f.type === "textarea") input = h("textarea", { name: f.name, rows: 3, maxlength: 2000 });
      else if (f.type === "select") {
        input = h("select", { name: f.name }, (f.options || []).map(([v, l]) => h("option", { value: v, text: l })));
      } else input = h("input", { name: f.name, type: f.type || "text", min: f.min, max: f.max });
      if (f.required) input.required = true;
      if (f.value !== undefined) input.value = f.value;
      inputs[f.name] = input;
      return h("label", {}, f.label, input);
    });
    const cancel = h("button", { type: "button", text: "取消" });
    const form = h("form", { method: "dialog", class: "ask" }, h("h2", { text: title }), rows,
      h("div", { class: "actions" }, cancel, h("button", { type: "submit", class: "primary", text: submitLabel || "确定" })));
    const dialog = h("dialog", { class: "dialog" }, form);
    let answered = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = {};
      for (const [name, input] of Object.entries(inputs)) values[name] = input.value.trim();
      answered = true;
      dialog.close();
      resolve(values);
    });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (!answered) resolve(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = form.querySelector("textarea, input, select");
    if (first) first.focus();
  });
}

const CONTACT_METHODS = { phone: "电话", visit: "上门", sms: "短信", other: "其他" };
const CONTACT_OUTCOMES = { reached: "已联系上", unreachable: "未联系上", refused: "拒绝沟通" };
export { CONTACT_METHODS, CONTACT_OUTCOMES };

function payloadText(event) {
  const p = event.payload || {};
  const parts = [];
  if (p.extra_days) parts.push(`延期 ${p.extra_days} 天`);
  if (p.method) parts.push(`${CONTACT_METHODS[p.method] || p.method}·${CONTACT_OUTCOMES[p.outcome] || p.outcome || ""}`);
  if (p.master_number) parts.push(`并入 ${p.master_number}`);
  if (p.number && event.action === "merged_in") parts.push(`并入 ${p.number}`);
  if (p.satisfaction) parts.push({ satisfied: "满意", basically_satisfied: "基本满意", dissatisfied: "不满意" }[p.satisfaction] || "");
  return parts.join("，");
}

// The full trail (全过程记录) of a ticket, oldest first.
export function trail(events) {
  if (!events.length) return h("p", { class: "muted", text: "暂无记录" });
  return h("ol", { class: "trail" }, events.map((e) => {
    const hop = e.to_unit_name && e.to_unit_name !== e.from_unit_name ? `→ ${e.to_unit_name}` : "";
    const extra = payloadText(e);
    return h("li", { class: "trail-item act-" + e.action },
      h("time", { datetime: e.at, text: fmtDateTime(e.at) }),
      h("span", { class: "trail-action", text: actionLabel(e.action) }),
      h("span", { class: "trail-actor", text: e.actor_name }),
      hop ? h("span", { class: "trail-hop", text: hop }) : null,
      e.reason ? h("span", { class: "trail-reason", text: e.reason }) : null,
      extra ? h("span", { class: "trail-extra", text: extra }) : null);
  }));
}

// The chain of units a ticket went through, from its events: 云川市 → 东湖区 → 青山街道 → 柳岸社区.
export function chain(events) {
  const names = [];
  for (const e of events) {
    for (const name of [e.from_unit_name, e.to_unit_name]) {
      if (name && names[names.length - 1] !== name) names.push(name);
    }
  }
  return names;
}

let unitsPromise = null;
export function loadUnits() {
  unitsPromise = unitsPromise || api("GET", "/api/units").then((data) => {
    const byId = new Map(data.items.map((u) => [u.id, { ...u, children: [] }]));
    for (const u of byId.values()) if (u.parent_id && byId.has(u.parent_id)) byId.get(u.parent_id).children.push(u);
    return byId;
  });
  return unitsPromise;
}

// The units below `rootId` (not itself), depth-first, each with its depth under the root.
export function subtree(byId, rootId) {
  const out = [];
  const walk = (unit, depth) => {
    for (const child of unit.children) {
      out.push({ unit: child, depth });
      walk(child, depth + 1);
    }
  };
  const root = byId.get(rootId);
  if (root) walk(root, 0);
  return out;
}

// A unit picker: a filter box over a list of the units below `rootId`.
export function unitPicker(byId, rootId, name, selectedId) {
  const entries = subtree(byId, rootId).filter(({ unit }) => unit.active !== false);  // deactivated units take nothing
  const select = h("select", { name, size: 8, class: "unit-select", required: true });
  const filter = h("input", { type: "search", placeholder: "输入单位名称筛选", class: "unit-filter" });
  const fill = () => {
    const q = filter.value.trim();
    const keep = select.value;
    clear(select, entries
      .filter(({ unit }) => !q || unit.name.includes(q) || (unit.aliases || []).some((a) => a.includes(q)))
      .map(({ unit, depth }) => h("option", {
        value: String(unit.id), text: `${"　".repeat(q ? 0 : depth)}${unit.name}（${unit.level_label}）`,
      })));
    if (keep) select.value = keep;
  };
  filter.addEventListener("input", fill);
  fill();
  if (selectedId) select.value = String(selectedId);
  return { node: h("div", { class: "unit-picker" }, filter, select), select };
}

function wireLogout() {
  const button = document.getElementById("logout");
  if (!button) return;
  button.addEventListener("click", async () => {
    try {
      await api("POST", "/api/auth/logout");
    } catch (err) {
      // already signed out: go to the login page all the same
    }
    location.assign("/login");
  });
}
wireLogout();
