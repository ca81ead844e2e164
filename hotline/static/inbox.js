// 承办工单 (handler): what my unit holds, by deadline; sign, contact, notes, extension,
// suspend/resume, return, pass down, submit the result; the full trail.
import {
  api, boot, h, clear, run, ask, allowed, loadUnits, $, CONTACT_METHODS, CONTACT_OUTCOMES,
} from "./common.js";
import { startLive } from "./live.js";
import { loadCategories, loadTicket, facts, clocks, routingBox, chainBox, trailBox, pending, renderList, actionForm } from "./tickets.js";
import { reopenSection, ordersSection, receivedPanel, appealSection, coPartsSection, kbSection } from "./sections.js";

const me = boot.user;
const list = document.getElementById("ticket-list");
const coList = document.getElementById("cohandling-list");
const detail = document.getElementById("detail");
let items = [];
let coItems = [];
let selectedId = null;
let categories = new Map();
let units = new Map();

// 在办: what the unit holds; 已办结: tickets it handled that are closed (to appeal an outcome, read the story).
const TABS = {
  open: "/api/tickets?scope=inbox&limit=200",
  closed: "/api/tickets?scope=all&state=closed&limit=100",
};
let tab = "open";

async function refresh() {
  const [data, co] = await Promise.all([
    api("GET", TABS[tab]),
    api("GET", "/api/tickets?scope=cohandling&limit=200"),
  ]);
  items = data.items;
  coItems = co.items;
  $("#n-inbox").textContent = String(items.length);
  $("#n-cohandling").textContent = String(coItems.length);
  renderLists();
  await receivedPanel(document.getElementById("supervision"), reloadAll);
}

function renderLists() {
  renderList(list, items, categories, selectedId, select, "暂无待办工单");
  renderList(coList, coItems, categories, selectedId, select, "暂无协办工单");
}

async function reloadAll() {
  await refresh();
  if (selectedId) await select(selectedId);
}

async function select(id) {
  selectedId = id;
  renderLists();
  clear(detail, h("p", { class: "muted", text: "正在读取…" }));
  try {
    const { ticket, events } = await loadTicket(id);
    if (selectedId !== id) return;
    renderDetail(ticket, events);
    const [orders, appeals, parts, knowledge] = await Promise.all([ordersSection(ticket, reloadAll),
      appealSection(ticket, reloadAll), coPartsSection(ticket, reloadAll), kbSection(ticket, reloadAll)]);
    if (selectedId !== id) return;
    detail.querySelector(".trail-box").before(knowledge);
    if (parts) (detail.querySelector(".clocks") || detail.querySelector(".content")).after(parts);
    if (orders) detail.querySelector(".detail-head").after(orders);
    if (appeals) (detail.querySelector("#ticket-orders") || detail.querySelector(".detail-head")).after(appeals);
  } catch (err) {
    clear(detail, h("p", { class: "error", text: err.message }));
  }
}

async function act(button, path, body, done) {
  const id = selectedId;
  const result = await run(button, () => api("POST", `/api/tickets/${id}/${path}`, body), done);
  if (result) {
    await refresh();
    await select(id);
  }
  return result;
}

function renderDetail(ticket, events) {
  const mine = ticket.holder_unit_id === me.unit_id;
  const assisting = (ticket.co_unit_ids || []).includes(me.unit_id);
  const note = assisting ? "本单位为协办单位，由承办单位办理。" : "该工单已不在本单位。";
  clear(detail, facts(ticket, categories), reopenSection(ticket, events), clocks(ticket),
    mine ? actions(ticket, events) : h("p", { class: "muted", text: note }),
    h("h3", { text: "流转链条" }), chainBox(events), routingBox(ticket), trailBox(events));
}

function button(id, text, cls, handler) {
  const b = h("button", { type: "button", id, class: cls || "", text });
  b.addEventListener("click", () => handler(b));
  return b;
}

function actions(ticket, events) {
  const s = ticket.state;
  const bar = [];
  if (allowed(s, "sign")) bar.push(button("sign", "签收", "primary", (b) => act(b, "sign", undefined, "已签收")));
  if (allowed(s, "resume")) bar.push(button("resume", "恢复办理", "primary", (b) => act(b, "resume", undefined, "已恢复办理")));
  const extensionOpen = pending(events, "request_extension", ["approve_extension", "reject_extension"]);
  if (allowed(s, "request_extension")) {
    bar.push(button("extension", extensionOpen ? "延期待审核" : "申请延期", "", async (b) => {
      const v = await ask("申请延期（由上级审核）", [
        { name: "extra_days", label: "延期天数", type: "number", min: 1, max: 60, value: "3", required: true },
        { name: "reason", label: "理由", type: "textarea", required: true }], "提交申请");
      if (v) act(b, "extension", { extra_days: Number(v.extra_days), reason: v.reason }, "延期申请已提交");
    }));
    if (extensionOpen) bar[bar.length - 1].disabled = true;
  }
  if (allowed(s, "suspend")) {
    bar.push(button("suspend", "挂起", "", async (b) => {
      const v = await ask("挂起工单（暂停计时）", [{ name: "reason", label: "挂起原因", type: "textarea", required: true }], "挂起");
      if (v) act(b, "suspend", { reason: v.reason }, "已挂起");
    }));
  }
  if (allowed(s, "assign")) {
    const children = (units.get(me.unit_id) || { children: [] }).children;
    if (children.length) {
      bar.push(button("pass-down", "转派下级", "", async (b) => {
        const v = await ask("转派给下级单位", [
          { name: "unit_id", label: "下级单位", type: "select", options: children.map((u) => [String(u.id), u.name]), required: true },
          { name: "reason", label: "说明", type: "textarea" }], "转派");
        if (v) act(b, "assign", { unit_id: Number(v.unit_id), reason: v.reason }, "已转派");
      }));
    }
  }
  if (allowed(s, "return")) {
    bar.push(button("return", "退单", "danger", async (b) => {
      const v = await ask("退单（由上级审核后改派）", [{ name: "reason", label: "退单理由（如：不属于本单位职责，应由××处理）", type: "textarea", required: true }], "退单");
      if (v) act(b, "return", { reason: v.reason }, "已退单");
    }));
  }
  const forms = [];
  if (allowed(s, "record_contact")) {
    const method = h("select", { name: "method" }, Object.entries(CONTACT_METHODS).map(([v, l]) => h("option", { value: v, text: l })));
    const outcome = h("select", { name: "outcome" }, Object.entries(CONTACT_OUTCOMES).map(([v, l]) => h("option", { value: v, text: l })));
    const note = h("input", { name: "note", maxlength: 2000, placeholder: "沟通情况（可不填）" });
    const save = button("contact", "记录联系", "", (b) => act(b, "contact", { method: method.value, outcome: outcome.value, note: note.value.trim() }, "已记录联系情况"));
    forms.push(actionForm(ticket.first_contact_at ? "联系诉求人（已联系过）" : "联系诉求人",
      [h("div", { class: "row3" }, h("label", {}, "方式", method), h("label", {}, "结果", outcome), h("label", {}, "说明", note))], [save]));
  }
  const text = h("textarea", { name: "text", rows: 2, maxlength: 2000, placeholder: "办理进展，如：已现场核实" });
  forms.push(actionForm("办理进展", [text], [button("note", "添加进展", "", async (b) => {
    if (!text.value.trim()) return text.focus();
    await act(b, "notes", { text: text.value.trim() }, "已添加进展");
  })]));
  if (allowed(s, "submit_completion")) {
    const result = h("textarea", { name: "result", rows: 3, maxlength: 2000, placeholder: "办理结果：做了什么、结果如何、诉求人意见" });
    const submit = button("complete", "提交办结", "primary", (b) => {
      if (!result.value.trim()) return result.focus();
      act(b, "complete", { result: result.value.trim() }, "已提交办结，等待上级审核");
    });
    forms.push(actionForm(ticket.first_contact_at ? "办结" : "办结（须先记录联系诉求人）", [result], [submit]));
  }
  return h("div", { class: "decisions" }, bar.length ? h("div", { class: "action-bar" }, bar) : null, forms);
}

document.getElementById("refresh").addEventListener("click", () => refresh().catch(() => {}));
for (const button of document.querySelectorAll("[data-inbox-tab]")) {
  button.addEventListener("click", () => {
    tab = button.dataset.inboxTab;
    for (const b of document.querySelectorAll("[data-inbox-tab]")) b.setAttribute("aria-selected", String(b === button));
    selectedId = null;
    refresh().catch(() => {});
  });
}

async function init() {
  [categories, units] = await Promise.all([loadCategories(), loadUnits()]);
  await refresh();
  if (items[0]) select(items[0].id);
}
init().catch((err) => clear(detail, h("p", { class: "error", text: err.message })));
// no polling: the list is re-read when the unit's socket says something changed
startLive({ list: [list, coList], refresh, mount: document.querySelector(".list-head") });
