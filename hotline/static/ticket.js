// 工单详情: the whole story of one ticket for whoever may see it — its facts, clocks with countdowns, the
// chain drawn hop by hop, every event, contacts, notes, co-units' parts, callbacks, appeals, supervision,
// and the actions this viewer may take here. Each section is one function drawing one slot of
// ticket.html (`SECTIONS`); a new part of a ticket is a new slot and a new function. The data is the
// ticket API's (GET /api/tickets/{id} and its events); the API decides, the buttons only avoid offering
// what it would refuse.
import { api, boot, h, clear, run, ask, allowed, loadUnits, trail, fmtDateTime, actionLabel, CONTACT_METHODS, CONTACT_OUTCOMES } from "./common.js";
import { loadCategories, loadTicket, facts, clocks, routingBox } from "./tickets.js";
import { reopenSection, ordersSection as orderAnswers, appealSection, coPartsSection, kbSection } from "./sections.js";

const me = boot.user;
const ticketId = Number(location.pathname.split("/").filter(Boolean).pop());
const OPEN = ["new", "pending_dispatch", "assigned", "signed", "suspended", "returned", "completed", "reviewed"];
const SATISFACTION = { satisfied: "满意", basically_satisfied: "基本满意", dissatisfied: "不满意" };

// A section: a heading and its body, or null when there is nothing to show (the slot stays hidden).
function section(title, body, extra) {
  return [h("h2", { text: title }, extra ? h("span", { class: "muted section-count", text: extra }) : null), body];
}

// The events a section shows, drawn as the trail draws them; null when there are none.
function eventsSection(title, story, test, emptyText) {
  const picked = story.events.filter(test);
  if (!picked.length) return emptyText ? section(title, h("p", { class: "muted", text: emptyText })) : null;
  return section(title, trail(picked), `（${picked.length}）`);
}

function factsSection(story) {
  const { ticket } = story;
  const back = h("a", { href: document.referrer.includes("/search") ? document.referrer : "/search", class: "back-link", text: "← 查找工单" });
  return [back, facts(ticket, story.categories), routingBox(ticket)];
}

function clocksSection(story) {
  const running = clocks(story.ticket);
  if (running) return section("时限", running);
  const done = story.ticket.closed_at ? `已于 ${fmtDateTime(story.ticket.closed_at)} 办结` : "当前没有计时中的时限";
  return section("时限", h("p", { class: "muted", text: done }));
}

// The chain drawn hop by hop: each unit the ticket reached, and on the arrow into it how, when and by whom.
function chainSection(story) {
  const hops = story.events.filter((e) => e.to_unit_id && e.to_unit_id !== e.from_unit_id);
  if (!hops.length) return null;
  const steps = [];
  hops.forEach((e, i) => {
    if (i) {
      steps.push(h("li", { class: "hop-arrow" },
        h("span", { class: "hop-action", text: actionLabel(e.action) }),
        h("time", { datetime: e.at, text: fmtDateTime(e.at) }),
        h("span", { class: "muted", text: e.actor_name })));
    }
    const current = i === hops.length - 1 && story.ticket.holder_unit_id === e.to_unit_id && OPEN.includes(story.ticket.state);
    const unit = story.units.get(e.to_unit_id);
    steps.push(h("li", { class: "hop-unit" + (current ? " current" : ""), dataset: { unit: e.to_unit_id } },
      h("strong", { text: e.to_unit_name || "—" }),
      unit ? h("span", { class: "muted", text: unit.level_label }) : null,
      current ? h("span", { class: "badge", text: "当前承办" }) : null));
  });
  return section("流转链条", h("ol", { class: "hops", "aria-label": "流转链条" }, steps), `（${hops.length - 1} 次流转）`);
}

function allEventsSection(story) {
  return eventsSection("全过程记录", story, () => true);
}

function contactsSection(story) {
  return eventsSection("联系诉求人", story, (e) => e.action === "record_contact" || e.action === "co_contact",
    OPEN.includes(story.ticket.state) ? "尚未记录联系诉求人" : null);
}

function notesSection(story) {
  return eventsSection("办理进展", story, (e) => ["note", "co_note", "submit_completion", "send_back"].includes(e.action));
}

function coUnitsSection(story) {
  const co = story.ticket.co_unit_ids || [];
  if (!co.length) return null;
  const names = co.map((id) => (story.units.get(id) || { name: `单位 ${id}` }).name);
  const parts = story.events.filter((e) => e.action.startsWith("co_"));
  return section("协办单位", [h("p", { text: names.join("、") }),
    parts.length ? trail(parts) : h("p", { class: "muted", text: "协办单位尚未记录办理情况" })]);
}

function callbacksSection(story) {
  const t = story.ticket;
  const node = eventsSection("回访", story, (e) => e.action.startsWith("callback") || e.action === "close_without_callback");
  if (!node && !t.satisfaction) return null;
  const result = t.satisfaction ? h("p", {}, "回访结果：", h("strong", { text: SATISFACTION[t.satisfaction] || t.satisfaction }),
    t.resolved === null ? "" : t.resolved ? "，已解决" : "，未解决") : null;
  return node ? [...node, result] : section("回访", result);
}

function appealsSection(story) {
  return eventsSection("申诉", story, (e) => e.action.startsWith("appeal"));
}

function ordersSection(story) {
  return eventsSection("督办与催办", story, (e) => ["supervision_order", "urge", "sla_overdue", "sla_warning"].includes(e.action) || e.action.startsWith("order_"));
}

// ---- actions: only what this viewer may do here (the API checks again) ----

function isAbove(unitId) {
  let unit = unitId ? boot.units.get(unitId) : null;
  while (unit && unit.parent_id) {
    if (unit.parent_id === me.unit_id) return true;
    unit = boot.units.get(unit.parent_id);
  }
  return false;
}

function button(id, text, cls, handler) {
  const b = h("button", { type: "button", id, class: cls || "", text });
  b.addEventListener("click", () => handler(b));
  return b;
}

async function act(story, b, path, body, done) {
  const result = await run(b, () => api("POST", `/api/tickets/${story.ticket.id}/${path}`, body), done);
  if (result) await story.reload();
}

function holderActions(story, t) {
  const out = [];
  if (allowed(t.state, "sign")) out.push(button("act-sign", "签收", "primary", (b) => act(story, b, "sign", undefined, "已签收")));
  if (allowed(t.state, "record_contact")) {
    out.push(button("act-contact", "记录联系", "", async (b) => {
      const v = await ask("联系诉求人", [
        { name: "method", label: "方式", type: "select", options: Object.entries(CONTACT_METHODS), required: true },
        { name: "outcome", label: "结果", type: "select", options: Object.entries(CONTACT_OUTCOMES), required: true },
        { name: "note", label: "沟通情况", type: "textarea" }], "记录");
      if (v) act(story, b, "contact", v, "已记录联系情况");
    }));
  }
  out.push(button("act-note", "添加进展", "", async (b) => {
    const v = await ask("办理进展", [{ name: "text", label: "进展", type: "textarea", required: true }], "添加");
    if (v) act(story, b, "notes", v, "已添加进展");
  }));
  if (allowed(t.state, "submit_completion")) {
    out.push(button("act-complete", "提交办结", "primary", async (b) => {
      const v = await ask("提交办结（由上级审核）", [{ name: "result", label: "办理结果", type: "textarea", required: true }], "提交");
      if (v) act(story, b, "complete", v, "已提交办结，等待上级审核");
    }));
  }
  if (allowed(t.state, "return")) {
    out.push(button("act-return", "退单", "danger", async (b) => {
      const v = await ask("退单（由上级审核后改派）", [{ name: "reason", label: "退单理由", type: "textarea", required: true }], "退单");
      if (v) act(story, b, "return", v, "已退单");
    }));
  }
  return out;
}

function reviewerActions(story, t) {
  if (t.state !== "completed") return [];
  const review = (approve) => async (b) => {
    const v = await ask(approve ? "办结审核通过" : "办结审核退回", [{ name: "note", label: "审核意见", type: "textarea", required: !approve }], approve ? "通过" : "退回");
    if (v) act(story, b, "completion-review", { approve, note: v.note }, approve ? "已审核通过" : "已退回承办单位");
  };
  return [button("act-accept", "办结审核通过", "primary", review(true)), button("act-send-back", "退回重办", "danger", review(false))];
}

function supervisorActions(story, t) {
  if (!OPEN.includes(t.state) || !t.holder_unit_id) return [];
  return [
    button("act-urge", "催办", "", async (b) => {
      const v = await ask("催办", [{ name: "text", label: "催办内容", type: "textarea", required: true }], "催办");
      if (v) act(story, b, "urge", v, "已催办");
    }),
    button("act-supervise", "下发督办单", "danger", async (b) => {
      const v = await ask("下发督办单", [{ name: "reason", label: "督办事由", type: "textarea", required: true }], "下发");
      if (v) act(story, b, "supervise", v, "已下发督办单");
    }),
  ];
}

function callbackActions(story, t) {
  if (t.state !== "reviewed") return [];
  return [button("act-callback", "回访", "primary", async (b) => {
    const v = await ask("回访诉求人", [
      { name: "reached", label: "是否接通", type: "select", options: [["1", "已接通"], ["0", "未接通"]], required: true },
      { name: "resolved", label: "是否解决", type: "select", options: [["1", "已解决"], ["0", "未解决"]] },
      { name: "satisfaction", label: "满意度", type: "select", options: Object.entries(SATISFACTION) },
      { name: "note", label: "回访记录", type: "textarea" }], "记录回访");
    if (!v) return;
    const reached = v.reached === "1";
    act(story, b, "callback", reached ? { reached, resolved: v.resolved === "1", satisfaction: v.satisfaction, note: v.note }
      : { reached, note: v.note }, "已记录回访");
  })];
}

// Which buttons, by who is looking: the holder unit handles, the level above reviews and supervises, the
// hotline centre calls back. Other work adds its own here (appeals, answers to orders, co-units' parts).
export const ACTIONS = [
  (story, t) => (t.holder_unit_id === me.unit_id && ["handler", "dispatcher"].includes(me.role) ? holderActions(story, t) : []),
  (story, t) => (["dispatcher", "supervisor"].includes(me.role) && isAbove(t.holder_unit_id) ? reviewerActions(story, t) : []),
  (story, t) => (me.role === "supervisor" && isAbove(t.holder_unit_id) ? supervisorActions(story, t) : []),
  (story, t) => (boot.at_city && ["operator", "dispatcher"].includes(me.role) ? callbackActions(story, t) : []),
];

function actionsSection(story) {
  const t = story.ticket;
  const buttons = ACTIONS.flatMap((rule) => rule(story, t));
  return section("可办理的操作", buttons.length ? h("div", { class: "action-bar", id: "ticket-actions" }, buttons)
    : h("p", { class: "muted", id: "ticket-actions", text: "您对该工单没有可执行的操作（仅查看）。" }));
}

export const SECTIONS = {
  facts: factsSection,
  clocks: clocksSection,
  actions: actionsSection,
  chain: chainSection,
  events: allEventsSection,
  contacts: contactsSection,
  notes: notesSection,
  "co-units": coUnitsSection,
  callbacks: callbacksSection,
  appeals: appealsSection,
  orders: ordersSection,
};

// The sections that act as well as show (static/sections.js, shared with the inbox and the queue): the reopen
// reason, orders with 答复 / 办结 / 重新督办, 申诉, co-units' parts with a co-unit's own form, the knowledge base.
// Each reads what it needs and returns a node or null.
export const ACTING_SECTIONS = {
  reopen: (story) => reopenSection(story.ticket, story.events),
  "order-answers": (story) => orderAnswers(story.ticket, story.reload),
  "appeal-filing": (story) => appealSection(story.ticket, story.reload),
  "co-parts": (story) => coPartsSection(story.ticket, story.reload),
  kb: (story) => kbSection(story.ticket, story.reload),
};

async function drawActing(story) {
  await Promise.all(Object.entries(ACTING_SECTIONS).map(async ([name, render]) => {
    const slot = document.getElementById(`sec-${name}`);
    if (!slot) return;
    const node = await render(story);
    slot.hidden = !node;
    if (node) clear(slot, node);
  }));
}

function draw(story) {
  for (const [name, render] of Object.entries(SECTIONS)) {
    const slot = document.getElementById(`sec-${name}`);
    if (!slot) continue;
    const node = render(story);
    slot.hidden = !node;
    if (node) clear(slot, node);
  }
}

async function load() {
  const [categories, units, { ticket, events }] = await Promise.all([loadCategories(), loadUnits(), loadTicket(ticketId)]);
  boot.units = units;
  document.title = `${ticket.number} · 工单详情 · 12345 热线`;
  const story = { ticket, events, categories, units, reload: load };
  draw(story);
  document.getElementById("ticket-loading").hidden = true;
  await drawActing(story);
}

load().catch((err) => {
  const loading = document.getElementById("ticket-loading");
  loading.className = "error";
  loading.textContent = err.status === 404 ? "找不到该工单，或您无权查看。" : err.message;
});
