// 掌上办理 (a handler on a phone; a grid's 网格员 lands here): my unit's tickets as cards, the orders and urges
// sent to the unit (答复 here), and one ticket at a time with big buttons for 签收, 联系诉求人, 办理进展 and 办结,
// the reopen reason, its orders and the co-units' parts. The same API actions as the inbox; the list is live
// over /ws/inbox.
import { api, boot, h, clear, afterRelease, run, allowed, countdown, stateBadge, CONTACT_METHODS, CONTACT_OUTCOMES } from "./common.js";
import { loadCategories, loadTicket, callerText, revealButton, clocks, trailBox, renderRows } from "./tickets.js";
import { reopenSection, ordersSection, receivedPanel, coPartsSection } from "./sections.js";
import { startLive } from "./live.js";

const me = boot.user;
const cards = document.getElementById("m-cards");
const listPane = document.getElementById("m-list-pane");
const detail = document.getElementById("m-detail");
const supervision = document.getElementById("supervision");
let items = [];
let openId = null;
let openTicket = null;
let categories = new Map();

function card(t) {
  return h("li", { class: "ticket-row m-card", dataset: { id: t.id } },
    h("button", { type: "button", class: "row-button", onclick: () => open(t.id) },
      h("div", { class: "row-top" }, h("span", { class: "mono", text: t.number }), stateBadge(t.state, t.state_label),
        t.urgency === "urgent" ? h("span", { class: "badge urgent", text: "紧急" }) : null),
      h("div", { class: "m-due" }, t.next_due_at ? countdown(t.next_due_at, null, t.state === "suspended") : ""),
      h("div", { class: "row-meta", text: categories.get(t.category_code) || "未分类" }),
      h("div", { class: "m-summary", text: t.content }),
      t.reopen_reason ? h("div", { class: "row-reason reopen", text: `重办：${t.reopen_reason}` }) : null));
}

async function refresh() {
  const [data] = await Promise.all([api("GET", "/api/tickets?scope=inbox&limit=200"), receivedPanel(supervision, refresh)]);
  items = data.items;
  document.getElementById("n-mine").textContent = String(items.length);
  renderRows(cards, () => items.length ? items.map(card) : h("li", { class: "empty muted", text: "暂无待办工单" }));
  if (openTicket) await othersParts(openTicket);
}

// What others write on the open ticket (its orders, the co-units' parts): redrawn on every live update, as it
// holds nothing the user types.
async function othersParts(ticket) {
  const slot = detail.querySelector("#m-others");
  if (!slot) return;
  const [orders, parts] = await Promise.all([ordersSection(ticket, refresh), coPartsSection(ticket, refresh)]);
  if (openTicket === ticket) afterRelease(slot, () => clear(slot, orders, parts));
}

function back() {
  openId = null;
  openTicket = null;
  detail.hidden = true;
  listPane.hidden = false;
  window.scrollTo(0, 0);
}

async function open(id, quiet) {
  openId = id;
  if (!quiet) {
    listPane.hidden = true;
    detail.hidden = false;
    clear(detail, h("p", { class: "muted", text: "正在读取…" }));
  }
  try {
    const { ticket, events } = await loadTicket(id);
    if (openId === id) render(ticket, events);
  } catch (err) {
    clear(detail, backButton(), h("p", { class: "error", text: err.message }));
  }
}

function backButton() {
  return h("button", { type: "button", class: "m-back", id: "m-back", text: "‹ 返回列表", onclick: back });
}

async function act(button, path, body, done) {
  const id = openId;
  const result = await run(button, () => api("POST", `/api/tickets/${id}/${path}`, body), done);
  // the open ticket is redrawn after the user's own actions only: a live update must not wipe what they type
  if (result !== null) {
    await refresh();
    await open(id, true);
  }
  return result;
}

function bigButton(id, text, cls, handler) {
  const b = h("button", { type: "button", id, class: "m-action " + (cls || ""), text });
  b.addEventListener("click", () => handler(b));
  return b;
}

function render(ticket, events) {
  const caller = h("span", { id: "m-caller", text: callerText(ticket) });
  const facts = h("div", { class: "m-facts" },
    h("div", { class: "row-top" }, h("span", { class: "mono", text: ticket.number }), stateBadge(ticket.state, ticket.state_label)),
    h("p", { class: "content", id: "ticket-content", text: ticket.content }),
    h("p", {}, "地址：", h("span", { text: ticket.personal_view === "withheld" ? "保密" : ticket.address || "—" })),
    h("p", {}, "来电人：", caller, revealButton(ticket, (r) => { caller.textContent = [r.caller_name, r.caller_phone].filter(Boolean).join(" "); })));
  const mine = ticket.holder_unit_id === me.unit_id;
  openTicket = ticket;
  clear(detail, backButton(), facts, reopenSection(ticket, events), clocks(ticket), h("div", { id: "m-others" }),
    mine ? actions(ticket) : h("p", { class: "muted", text: "该工单已不在本单位。" }), trailBox(events));
  othersParts(ticket).catch(() => {});
}

function actions(ticket) {
  const s = ticket.state;
  const parts = [];
  if (allowed(s, "sign")) parts.push(bigButton("m-sign", "签收", "primary", (b) => act(b, "sign", undefined, "已签收")));
  if (allowed(s, "record_contact")) {
    const method = h("select", { name: "method", id: "m-method" }, Object.entries(CONTACT_METHODS).map(([v, l]) => h("option", { value: v, text: l })));
    const outcome = h("select", { name: "outcome", id: "m-outcome" }, Object.entries(CONTACT_OUTCOMES).map(([v, l]) => h("option", { value: v, text: l })));
    const note = h("input", { name: "note", id: "m-contact-note", maxlength: 2000, placeholder: "沟通情况（可不填）" });
    parts.push(h("fieldset", { class: "m-form" }, h("legend", { text: ticket.first_contact_at ? "联系诉求人（已联系过）" : "联系诉求人" }),
      h("label", {}, "方式", method), h("label", {}, "结果", outcome), h("label", {}, "说明", note),
      bigButton("m-contact", "记录联系", "", (b) => act(b, "contact", { method: method.value, outcome: outcome.value, note: note.value.trim() }, "已记录联系情况"))));
  }
  const text = h("textarea", { name: "text", id: "m-note", rows: 2, maxlength: 2000, placeholder: "办理进展，如：已现场核实" });
  parts.push(h("fieldset", { class: "m-form" }, h("legend", { text: "办理进展" }), text,
    bigButton("m-add-note", "添加进展", "", async (b) => {
      if (!text.value.trim()) return text.focus();
      await act(b, "notes", { text: text.value.trim() }, "已添加进展");
    })));
  if (allowed(s, "submit_completion")) {
    const result = h("textarea", { name: "result", id: "m-result", rows: 3, maxlength: 2000, placeholder: "办理结果：做了什么、结果如何" });
    parts.push(h("fieldset", { class: "m-form" }, h("legend", { text: ticket.first_contact_at ? "办结" : "办结（须先记录联系诉求人）" }), result,
      bigButton("m-complete", "提交办结", "primary", (b) => {
        if (!result.value.trim()) return result.focus();
        act(b, "complete", { result: result.value.trim() }, "已提交办结，等待上级审核");
      })));
  }
  return h("div", { class: "m-actions" }, parts);
}

async function init() {
  categories = await loadCategories();
  await refresh();
}
init().catch((err) => clear(cards, h("li", { class: "error", text: err.message })));
startLive({ list: cards, refresh, mount: document.querySelector(".m-head") });
