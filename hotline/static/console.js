// 话务台: the ticket form for a live call, with suggestions refreshed as the operator types.
import {
  api, h, clear, debounce, idempotencyKey, toast, fmtDateTime, stateBadge, typeLabel, loadUnits,
} from "./common.js";
import { watchCaller } from "./caller_panel.js";

const form = document.getElementById("ticket-form");
const content = document.getElementById("content");
const address = document.getElementById("address");
const phone = document.getElementById("caller_phone");
const name = document.getElementById("caller_name");
const category = document.getElementById("category_code");
const urgent = document.getElementById("urgent");
const complex = document.getElementById("is_complex");
const confidential = document.getElementById("confidential");
const formError = document.getElementById("form-error");
const result = document.getElementById("result");
const status = document.getElementById("suggest-status");
const PHONE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{5,8})$/;

let key = idempotencyKey(); // one per call: a retried submit of the same form makes one ticket
let sequence = 0; // answers to older suggest calls are dropped
let units = new Map();
let categories = new Map();

const section = (id) => document.querySelector(`#${id} .body`);

function draft() {
  const body = { content: content.value.trim(), address: address.value.trim() };
  const number = phone.value.trim();
  if (PHONE.test(number)) body.caller_phone = number;
  if (category.value) body.category_code = category.value;
  if (complex.checked) body.is_complex = true;
  return body;
}

async function suggest() {
  const body = draft();
  if (!body.content && !body.address && !body.caller_phone) return;
  const mine = ++sequence;
  status.textContent = "正在分析…";
  try {
    const data = await api("POST", "/api/intake/suggest", body);
    if (mine !== sequence) return;
    render(data);
    status.textContent = "已更新";
  } catch (err) {
    if (mine === sequence) status.textContent = "分析失败：" + err.message;
  }
}
const suggestSoon = debounce(suggest, 300);

function percent(x) {
  return `${Math.round((x || 0) * 100)}%`;
}

function unitName(id) {
  return (units.get(id) || {}).name || (id ? `#${id}` : "");
}

function render(data) {
  const a = data.analysis || {};
  const cat = section("s-category");
  clear(cat);
  cat.classList.remove("muted");
  if (a.category_code) {
    cat.append(h("div", { class: "big-line" },
      h("strong", { id: "suggested-category", text: a.category_name || a.category_code }),
      h("span", { class: "confidence", text: a.category_source === "operator" ? "话务员指定" : `置信度 ${percent(a.confidence)}` })),
    h("div", { class: "meter" }, h("span", { style: `width:${percent(a.confidence)}` })));
  } else {
    cat.append(h("p", { class: "muted", text: "未能识别分类，请在左侧选择" }));
  }
  const alternatives = (a.top || []).filter((t) => t.code && t.code !== a.category_code).slice(0, 3);
  if (alternatives.length) {
    cat.append(h("div", { class: "alts" }, "其他可能：", alternatives.map((t) => h("button", {
      type: "button", class: "link", text: `${t.name} ${percent(t.confidence)}`,
      onclick: () => { category.value = t.code; suggest(); },
    }))));
  }
  if (a.complexity && a.complexity.is_complex) {
    cat.append(h("p", { class: "warn-text", text: "复杂工单：" + (a.complexity.reasons || []).join("；") }));
  }

  const place = a.place || {};
  const chainNames = [place.district_id, place.street_id, place.community_id, place.grid_id].filter(Boolean).map(unitName);
  clear(section("s-place"),
    chainNames.length ? h("div", { class: "big-line" }, h("strong", { id: "resolved-place", text: chainNames.join(" › ") }),
      place.matched ? h("span", { class: "muted", text: `（识别：${place.matched}）` }) : null) : h("p", { class: "muted", text: "未识别到地点" }),
    place.ambiguous && (place.candidates || []).length
      ? h("p", { class: "warn-text", text: "地点有歧义，请向来电人确认：" + place.candidates.map((c) => (c.chain || [c.name]).join("›")).join("；") })
      : null,
    (place.reasons || []).length ? h("ul", { class: "reasons" }, place.reasons.map((r) => h("li", { text: r }))) : null);

  const r = data.routing || {};
  const routing = section("s-routing");
  clear(routing);
  if (r.auto && r.target_unit_name) {
    routing.append(h("div", { class: "big-line" }, "自动派至 ", h("strong", { id: "target-unit", text: r.target_unit_name })));
  } else {
    routing.append(h("div", { class: "big-line" }, "转人工派单：",
      h("strong", { id: "target-unit", text: r.queue_unit_name || "—" }),
      r.suggested_unit_name ? h("span", { class: "muted", text: `（建议 ${r.suggested_unit_name}）` }) : null));
  }
  if ((r.co_handler_ids || []).length) routing.append(h("p", { text: "协办：" + r.co_handler_ids.map(unitName).join("、") }));
  routing.append(h("ul", { class: "reasons", id: "routing-reasons" }, (r.reasons || []).map((x) => h("li", { text: x }))));

  const kb = data.knowledge || [];
  clear(section("s-kb"), kb.length ? kb.map((entry) => h("article", { class: "kb" },
    h("div", { class: "kb-head" }, h("strong", { text: entry.title }),
      h("button", { type: "button", class: "small", text: "直接办结", onclick: (e) => closeOnSpot(e.currentTarget, entry) })),
    h("p", { class: "kb-answer", text: entry.answer }))) : h("p", { class: "muted", text: "无匹配条目" }));

  const history = data.caller_history || [];
  clear(section("s-history"), history.length ? h("ul", { class: "mini" }, history.map((t) => h("li", {},
    h("span", { class: "mono", text: t.number }), stateBadge(t.state, t.state_label),
    h("span", { text: `${typeLabel(t.type)} · ${fmtDateTime(t.created_at)}` }),
    h("div", { class: "summary", text: t.summary })))) : h("p", { class: "muted", text: draft().caller_phone ? "该号码无历史工单" : "输入来电号码后显示" }));

  const similar = data.similar_open || [];
  clear(section("s-similar"), similar.length ? h("ul", { class: "mini" }, similar.map((t) => h("li", {},
    h("span", { class: "mono", text: t.number }), stateBadge(t.state, t.state_label),
    h("span", { class: "muted", text: (t.reasons || []).join("、") }),
    h("button", { type: "button", class: "small", text: "并单", onclick: (e) => merge(e.currentTarget, t) }),
    h("div", { class: "summary", text: t.summary })))) : h("p", { class: "muted", text: "无" }));
}

function ticketBody(extra) {
  const body = {
    type: (form.querySelector("input[name=type]:checked") || {}).value || "consultation",
    channel: "phone",
    content: content.value.trim(),
    address: address.value.trim(),
    urgency: urgent.checked ? "urgent" : "normal",
    ...extra,
  };
  if (phone.value.trim()) body.caller_phone = phone.value.trim();
  if (name.value.trim()) body.caller_name = name.value.trim();
  if (category.value) body.category_code = category.value;
  if (complex.checked) body.is_complex = true;
  body.confidential = confidential.checked;
  return body;
}

// 举报 is confidential by default; once the operator ticks or unticks the box, their choice stands.
let confidentialChosen = false;
confidential.addEventListener("change", () => { confidentialChosen = true; });
for (const radio of form.querySelectorAll("input[name=type]")) {
  radio.addEventListener("change", () => {
    if (!confidentialChosen) confidential.checked = radio.value === "report" && radio.checked;
  });
}

function check() {
  formError.hidden = true;
  if (!content.value.trim()) return fail("请填写诉求内容", content);
  if (phone.value.trim() && !PHONE.test(phone.value.trim())) return fail("来电号码格式不正确", phone);
  return true;
}

function fail(message, field) {
  formError.textContent = message;
  formError.hidden = false;
  field.focus();
  return false;
}

async function create(button, extra, verb) {
  if (!check()) return;
  button.disabled = true;
  let ticket;
  try {
    ticket = await api("POST", "/api/tickets", ticketBody(extra), { "Idempotency-Key": key });
  } catch (err) {
    formError.textContent = err.message;
    formError.hidden = false;
    return;
  } finally {
    button.disabled = false;
  }
  showResult(ticket, verb);
  toast(`${verb}：${ticket.number}`, "ok");
  newCall();
}

function showResult(ticket, verb) {
  const where = ticket.holder_unit_name ? `当前在 ${ticket.holder_unit_name}` : "";
  clear(result, h("strong", { text: `${verb}` }), " 工单号 ", h("span", { class: "mono", id: "created-number", text: ticket.number }),
    " ", stateBadge(ticket.state, ticket.state_label),
    ticket.confidential ? [" ", h("span", { class: "badge confidential", id: "created-confidential", text: "保密" })] : null, " ", where);
  result.hidden = false;
}

function closeOnSpot(button, entry) {
  create(button, { close_on_spot: true, kb_entry_id: entry.id }, "已直接办结");
}

function merge(button, target) {
  create(button, { merge_into: target.id }, `已并入 ${target.number}`);
}

function newCall() {
  form.reset();
  confidentialChosen = false;
  key = idempotencyKey();
  sequence++;
  status.textContent = "输入诉求内容后自动分析";
  for (const id of ["s-category", "s-place", "s-routing", "s-kb", "s-history", "s-similar"]) {
    const body = section(id);
    body.classList.add("muted");
    body.textContent = "—";
  }
  content.focus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  create(document.getElementById("send"), {}, "已派单");
});
form.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    create(document.getElementById("send"), {}, "已派单");
  }
});
document.getElementById("new-call").addEventListener("click", () => {
  result.hidden = true;
  formError.hidden = true;
  newCall();
});
for (const input of [content, address, phone]) input.addEventListener("input", suggestSoon);
category.addEventListener("change", suggest);
watchCaller(phone, document.getElementById("s-caller"));
complex.addEventListener("change", suggestSoon);

async function init() {
  try {
    const [cats, byId] = await Promise.all([api("GET", "/api/categories"), loadUnits()]);
    units = byId;
    const groups = new Map();
    for (const c of cats.items) {
      categories.set(c.code, c);
      if (!groups.has(c.level1)) groups.set(c.level1, []);
      groups.get(c.level1).push(c);
    }
    for (const [group, items] of groups) {
      category.append(h("optgroup", { label: group || "其他" }, items.map((c) => h("option", { value: c.code, text: c.name }))));
    }
  } catch (err) {
    toast("加载分类失败：" + err.message, "error");
  }
  content.focus();
}
init();
