// 派单审核 (dispatcher): tickets waiting for a decision at this level, returns and completions of
// the units below, and extension requests.
import { api, boot, h, clear, run, loadUnits, unitPicker, subtree, $ } from "./common.js";
import { kbSection } from "./sections.js";
import {
  loadCategories, loadTicket, facts, clocks, routingBox, chainBox, trailBox, pending, lastOf, renderList, listRow, actionForm,
} from "./tickets.js";
import { startLive } from "./live.js";

const me = boot.user;
const list = document.getElementById("ticket-list");
const detail = document.getElementById("detail");
const hint = document.getElementById("list-hint");
const HINTS = {
  queue: "本级派单队列：分类或地点不确定、没有匹配规则、或退单后待改派的工单。分类模型最没有把握的排在最前；您选定的分类将作为模型的训练标签。",
  reviews: "下级单位的退单和办结，等待本级审核。",
  extensions: "下级单位提出、等待本级审核的延期申请。",
};
const SCAN_LIMIT = 100;

let tab = "queue";
let selectedId = null;
let lists = { queue: [], reviews: [], extensions: null };
let categories = new Map();
let units = new Map();

async function refresh() {
  const [queue, reviews] = await Promise.all([
    api("GET", "/api/tickets?scope=queue&limit=200"),
    api("GET", "/api/tickets?scope=reviews&limit=200"),
  ]);
  lists.queue = queue.items;
  lists.reviews = reviews.items;
  $("#n-queue").textContent = String(lists.queue.length);
  $("#n-reviews").textContent = String(lists.reviews.length);
  if (tab === "extensions") await scanExtensions();
  draw();
}

// Pending extension requests of the units below this one.
async function scanExtensions() {
  const found = await api("GET", `/api/tickets?scope=extensions&limit=${SCAN_LIMIT}`);
  lists.extensions = found.items;
  $("#n-extensions").textContent = String(found.items.length);
}

function draw() {
  hint.textContent = HINTS[tab];
  const items = lists[tab] || [];
  if (tab === "queue" && items.length) {
    clear(list, items.map((t) => {
      const row = listRow(t, categories, t.id === selectedId, select);
      const guess = guessLine(t.prediction);
      if (guess) row.querySelector(".row-button").append(guess);
      return row;
    }));
    return;
  }
  renderList(list, items, categories, selectedId, select, lists[tab] === null ? "正在读取…" : "没有待处理的工单");
}

const UNSURE_MARGIN = 0.2;

// The model's top-3 for a queued ticket, with probabilities; `pick` makes each one a button.
function guessLine(prediction, pick) {
  if (!prediction || !prediction.top || !prediction.top.length) return null;
  const chips = prediction.top.map((g) => {
    const name = g.name || categories.get(g.code) || g.code;
    const inner = [h("span", { text: name }), h("span", { class: "bar" }, h("i", { style: `width:${Math.round(g.confidence * 100)}%` })),
      h("span", { class: "muted", text: `${Math.round(g.confidence * 100)}%` })];
    if (!pick) return h("span", { class: "g" }, inner);
    const button = h("button", { type: "button", class: "g", title: "选用此分类" }, inner);
    button.addEventListener("click", () => pick(g.code));
    return button;
  });
  const sure = prediction.margin < UNSURE_MARGIN ? h("span", { class: "unsure", text: "模型不确定" }) : null;
  return h("div", { class: "guess", "aria-label": "分类模型前三位" }, sure, chips);
}

async function select(id) {
  selectedId = id;
  draw();
  clear(detail, h("p", { class: "muted", text: "正在读取…" }));
  try {
    const { ticket, events } = await loadTicket(id);
    if (selectedId !== id) return;
    renderDetail(ticket, events);
    const knowledge = await kbSection(ticket, () => select(id));
    if (selectedId === id) detail.querySelector(".trail-box").before(knowledge);
  } catch (err) {
    clear(detail, h("p", { class: "error", text: err.message }));
  }
}

function renderDetail(ticket, events) {
  clear(detail, facts(ticket, categories), clocks(ticket), h("h3", { text: "流转链条" }), chainBox(events),
    routingBox(ticket), h("div", { class: "decisions" }, decisions(ticket, events)), trailBox(events));
}

async function act(button, path, body, done) {
  const result = await run(button, () => api("POST", `/api/tickets/${selectedId}/${path}`, body), done);
  if (result) {
    await refresh();
    await select(result.id);
  }
}

// The classifier's (or operator's) category, correctable: the corrected one trains the next model.
function categorySelect(current) {
  const select = h("select", { name: "category_code", id: "assign-category" },
    h("option", { value: "", text: current ? "（保持不变）" : "（未分类）" }));
  for (const [code, name] of categories) select.append(h("option", { value: code, text: name, selected: code === current }));
  return select;
}

function noteInput(placeholder) {
  return h("textarea", { name: "note", rows: 2, maxlength: 2000, placeholder });
}

function decisions(ticket, events) {
  const out = [];
  if (ticket.state === "pending_dispatch" && ticket.holder_unit_id === me.unit_id && me.role === "dispatcher") {
    const r = ticket.routing || {};
    const picker = unitPicker(units, me.unit_id, "unit_id", r.suggested_unit_id || r.target_unit_id);
    const category = categorySelect(ticket.category_code);
    const queued = (lists.queue || []).find((t) => t.id === ticket.id);
    const guess = queued ? guessLine(queued.prediction, (code) => { category.value = code; }) : null;
    if (guess) {
      const margin = queued.prediction.margin;
      out.push(h("div", { class: "guess-box", id: "model-guess" },
        h("h4", { text: `分类模型的判断（前三位，把握度 ${margin.toFixed(2)}）` }), guess));
    }
    const reason = h("input", { name: "reason", maxlength: 2000, placeholder: "派单说明（可不填）" });
    const send = h("button", { type: "submit", class: "primary", text: "派单", id: "assign" });
    send.addEventListener("click", () => {
      if (!picker.select.value) return;
      const body = { unit_id: Number(picker.select.value), reason: reason.value.trim() };
      if (category.value) body.category_code = category.value;
      const co = Array.from(coUnits.selectedOptions, (o) => Number(o.value)).filter((id) => id !== body.unit_id);
      if (co.length) body.co_unit_ids = co;
      act(send, "assign", body, "已派单");
    });
    const coUnits = h("select", { name: "co_unit_ids", id: "co-units", multiple: true, size: 4, class: "unit-select" },
      subtree(units, me.unit_id).map(({ unit, depth }) => h("option", {
        value: String(unit.id), text: `${"　".repeat(depth)}${unit.name}`, selected: (r.co_handler_ids || []).includes(unit.id) })));
    out.push(actionForm("派单", [h("label", {}, "分类（可更正）", category), h("label", {}, "派往单位", picker.node),
      h("label", {}, "协办单位（可多选，按住 Ctrl）", coUnits), h("label", {}, "说明", reason)], [send]));
  }
  if (ticket.state === "returned") {
    const ret = lastOf(events, "return");
    const picker = unitPicker(units, me.unit_id, "reroute_to", null);
    const note = noteInput("审核意见");
    const approve = h("button", { type: "submit", class: "primary", text: "同意退单", id: "approve-return" });
    const reject = h("button", { type: "button", class: "danger", text: "驳回（退回原单位）", id: "reject-return" });
    approve.addEventListener("click", () => {
      const body = { approve: true, note: note.value.trim() };
      if (picker.select.value) body.reroute_to = Number(picker.select.value);
      act(approve, "return-review", body, "已同意退单");
    });
    reject.addEventListener("click", () => act(reject, "return-review", { approve: false, note: note.value.trim() }, "已驳回退单"));
    out.push(actionForm("退单审核", [
      ret ? h("p", { class: "quote" }, h("strong", { text: `${ret.actor_name}：` }), ret.reason) : null,
      h("label", {}, "改派至（可不选：回到本级派单队列）", picker.node), h("label", {}, "意见", note)], [approve, reject]));
  }
  if (ticket.state === "completed") {
    const done = lastOf(events, "submit_completion");
    const note = noteInput("审核意见（退回时请写明原因）");
    const accept = h("button", { type: "submit", class: "primary", text: "审核通过", id: "accept-completion" });
    const back = h("button", { type: "button", class: "danger", text: "退回重办", id: "send-back" });
    accept.addEventListener("click", () => act(accept, "completion-review", { approve: true, note: note.value.trim() }, "办结审核通过"));
    back.addEventListener("click", () => act(back, "completion-review", { approve: false, note: note.value.trim() }, "已退回"));
    out.push(actionForm("办结审核", [
      done ? h("p", { class: "quote" }, h("strong", { text: `${done.actor_name}：` }), done.reason) : null,
      h("label", {}, "意见", note)], [accept, back]));
  }
  const extension = pending(events, "request_extension", ["approve_extension", "reject_extension"]);
  if (extension) {
    const note = noteInput("审核意见");
    const yes = h("button", { type: "submit", class: "primary", text: "同意延期", id: "approve-extension" });
    const no = h("button", { type: "button", class: "danger", text: "驳回延期", id: "reject-extension" });
    yes.addEventListener("click", () => act(yes, "extension-review", { approve: true, note: note.value.trim() }, "已同意延期"));
    no.addEventListener("click", () => act(no, "extension-review", { approve: false, note: note.value.trim() }, "已驳回延期"));
    const days = (extension.payload || {}).extra_days;
    out.push(actionForm("延期审核", [
      h("p", { class: "quote" }, h("strong", { text: `${extension.actor_name} 申请延期 ${days || "?"} 天：` }), extension.reason),
      h("label", {}, "意见", note)], [yes, no]));
  }
  if (!out.length) out.push(h("p", { class: "muted", text: "该工单当前无需本级处理。" }));
  return out;
}

for (const button of document.querySelectorAll("[data-tab]")) {
  button.addEventListener("click", async () => {
    tab = button.dataset.tab;
    for (const b of document.querySelectorAll("[data-tab]")) b.setAttribute("aria-selected", String(b === button));
    draw();
    if (tab === "extensions") {
      lists.extensions = null;
      draw();
      try {
        await scanExtensions();
      } catch (err) {
        lists.extensions = [];
        hint.textContent = "读取失败：" + err.message;
      }
      draw();
    }
  });
}

async function init() {
  [categories, units] = await Promise.all([loadCategories(), loadUnits()]);
  await refresh();
  const first = lists[tab][0];
  if (first) select(first.id);
}
init().catch((err) => clear(detail, h("p", { class: "error", text: err.message })));
// The queue's news: a ticket queued at this level, a return or a completion below it to review.
const EV = boot.labels.events;
const REVIEWS = new Set([EV.TICKET_RETURNED, EV.TICKET_COMPLETED]);
startLive({
  list,
  refresh,
  mount: document.querySelector(".live-slot"),
  isMine: (e) => (e.event_type === EV.TICKET_QUEUED && e.payload.holder_unit_id === me.unit_id)
    || (REVIEWS.has(e.event_type) && e.payload.holder_unit_id !== me.unit_id),
});
