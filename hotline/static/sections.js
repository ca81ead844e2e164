// Self-contained sections of a ticket's story that any page can place (the inbox, the queue, the ticket
// page): each takes the ticket and its events (and a `reload` to call after an action) and returns a node
// or null. They call the JSON API themselves.
import { api, boot, h, clear, afterRelease, run, ask, countdown, fmtDateTime, serverNow } from "./common.js";
import { lastOf } from "./tickets.js";

// 重办: a dissatisfied callback reopened the ticket; the unit sees the citizen's reason first.
export function reopenSection(ticket, events) {
  if (!ticket.reopen_count) return null;
  const last = lastOf(events, "callback_dissatisfied");
  return h("div", { class: "notice reopen", id: "reopen-reason" },
    h("strong", { text: `回访不满意，重办（第 ${ticket.reopen_count} 次）：` }), last ? last.reason || "（未填写原因）" : "");
}

// ---- 督办单 both ways --------------------------------------------------------------------------

const ORDER_STATUS_CLASS = { open: "warn", answered: "info", closed: "done" };

async function answerOrder(button, order, done) {
  const tomorrow = new Date(serverNow() + 86400000).toISOString().slice(0, 10);
  const v = await ask(`答复督办单 · ${order.ticket_number}`, [
    { name: "answer", label: "办理情况（已做了什么）", type: "textarea", required: true },
    { name: "finish_by", label: "预计办结日期", type: "date", required: true, value: tomorrow }], "答复");
  if (!v) return;
  const result = await run(button, () => api("POST", `/api/orders/${order.id}/answer`, v), "督办单已答复");
  if (result && done) done(result);
}

async function reviewOrder(button, order, close, done) {
  const v = await ask(close ? `督办办结 · ${order.ticket_number}` : `重新督办 · ${order.ticket_number}`,
    [{ name: "note", label: close ? "审核意见" : "重新督办原因（还缺什么）", type: "textarea", required: !close }],
    close ? "办结" : "重新督办");
  if (!v) return;
  const result = await run(button, () => api("POST", `/api/orders/${order.id}/review`, { close, note: v.note }),
    close ? "督办单已办结" : "已重新督办");
  if (result && done) done(result);
}

// One order as a list item; the buttons this user may use (the API decides in the end).
export function orderItem(order, { done, showTicket } = {}) {
  const me = boot.user;
  const mine = order.unit_id === me.unit_id;
  const buttons = [];
  if (mine && order.status === "open") {
    buttons.push(h("button", { type: "button", class: "small primary answer-order", text: "答复",
      onclick: (e) => answerOrder(e.currentTarget, order, done) }));
  }
  if (!mine && me.role === "supervisor" && order.status === "answered") {
    buttons.push(h("button", { type: "button", class: "small close-order", text: "办结",
      onclick: (e) => reviewOrder(e.currentTarget, order, true, done) }));
    buttons.push(h("button", { type: "button", class: "small danger reissue-order", text: "重新督办",
      onclick: (e) => reviewOrder(e.currentTarget, order, false, done) }));
  }
  return h("li", { class: "order-item", dataset: { order: order.id, status: order.status } },
    h("div", { class: "row-top" },
      showTicket ? h("span", { class: "mono", text: order.ticket_number }) : null,
      h("span", { class: `badge ${ORDER_STATUS_CLASS[order.status] || ""}`, text: order.status_label }),
      order.escalated_at ? h("span", { class: "badge urgent", text: `已上报${order.escalated_to_name || ""}` }) : null,
      order.status === "open" && order.due_at ? countdown(order.due_at, null) : null,
      h("span", { class: "muted", text: `${order.issued_by_name} · ${fmtDateTime(order.issued_at)}${order.rounds > 1 ? ` · 第 ${order.rounds} 次` : ""}` })),
    showTicket ? h("div", { class: "muted", text: `被督办：${order.unit_name || ""}` }) : null,
    h("div", { class: "order-reason", text: `督办事由：${order.reason}` }),
    order.answer ? h("div", { class: "order-answer", text: `答复：${order.answer}（预计 ${order.finish_by || "—"} 办结）` }) : null,
    order.review_note ? h("div", { class: "order-review muted", text: `审核意见：${order.review_note}` }) : null,
    buttons.length ? h("div", { class: "actions" }, buttons) : null);
}

// The orders of one ticket (for the ticket's detail or page).
export async function ordersSection(ticket, reload) {
  const node = h("div", { class: "section orders", id: "ticket-orders" });
  const data = await api("GET", `/api/tickets/${ticket.id}/orders`);
  if (!data.items.length) return null;
  clear(node, h("h3", { text: `督办单（${data.items.length}）` }),
    h("ul", { class: "order-list" }, data.items.map((o) => orderItem(o, { done: reload }))));
  return node;
}

// The unit's inbox panel: orders received (open first) and the urges of the last days.
export async function receivedPanel(node, onChanged) {
  const [orders, urges] = await Promise.all([api("GET", "/api/orders?box=received&limit=50"), api("GET", "/api/urges")]);
  const open = orders.items.filter((o) => o.status === "open");
  const shown = orders.items.filter((o) => o.status !== "closed").slice(0, 20);
  afterRelease(node, () => clear(node,
    h("h2", {}, "督办与催办 ", h("span", { class: "count", id: "n-orders-open", text: String(open.length) })),
    shown.length ? h("ul", { class: "order-list", id: "orders-received" }, shown.map((o) => orderItem(o, { done: onChanged, showTicket: true })))
      : h("p", { class: "muted", text: "暂无督办单" }),
    urges.items.length ? h("ul", { class: "urge-list", id: "urges" }, urges.items.slice(0, 10).map((u) => h("li", { class: "urge-item" },
      h("span", { class: "badge warn", text: "催办" }), h("span", { class: "mono", text: u.ticket_number }),
      h("span", { class: "muted", text: ` ${u.actor_name} · ${fmtDateTime(u.at)} ` }), h("span", { text: u.note })))) : null));
}

// The supervisor's panel: orders to the units below, answered ones (to review) first.
export async function issuedPanel(node, onChanged) {
  const data = await api("GET", "/api/orders?box=issued&limit=50");
  const waiting = data.items.filter((o) => o.status === "answered").length;
  const shown = data.items.filter((o) => o.status !== "closed").slice(0, 30);
  afterRelease(node, () => clear(node,
    h("h2", {}, "督办单 ", h("span", { class: "count", id: "n-orders-review", text: String(waiting) }), h("span", { class: "muted", text: " 待审核" })),
    shown.length ? h("ul", { class: "order-list scroll", id: "orders-issued" }, shown.map((o) => orderItem(o, { done: onChanged, showTicket: true })))
      : h("p", { class: "muted", text: "暂无在办督办单" })));
}

// ---- 申诉 ---------------------------------------------------------------------------------------

const APPEAL_KINDS = [["overdue", "超期"], ["dissatisfied", "不满意"], ["returned", "退单"], ["other", "其他"]];
const APPEAL_CLASS = { pending: "warn", approved: "done", rejected: "urgent" };

export function appealItem(a) {
  return h("li", { class: "appeal-item", dataset: { appeal: a.id, status: a.status } },
    h("div", { class: "row-top" },
      h("span", { class: `badge ${APPEAL_CLASS[a.status] || ""}`, text: a.status_label }),
      h("span", { text: `${a.kind_label} · ${a.unit_name || ""}` }),
      h("span", { class: "muted", text: fmtDateTime(a.filed_at) })),
    h("div", { class: "appeal-reason", text: `理由：${a.reason}` }),
    a.attachments.length ? h("ul", { class: "attachments" }, a.attachments.map((x) => h("li", { text: `附件：${x}` }))) : null,
    a.decided_at ? h("div", { class: "appeal-outcome", text: `裁定：${a.status_label}${a.decision_note ? "，" + a.decision_note : ""}（${fmtDateTime(a.decided_at)}）` }) : null);
}

// The appeals of one ticket, and 申诉 for a unit that handled it (the API checks that it did).
export async function appealSection(ticket, reload) {
  const data = await api("GET", `/api/tickets/${ticket.id}/appeals`);
  const me = boot.user;
  const onlyCoUnit = (ticket.co_unit_ids || []).includes(me.unit_id) && ticket.holder_unit_id !== me.unit_id;
  const canFile = ["handler", "dispatcher", "supervisor"].includes(me.role) && ticket.holder_unit_id !== null && !onlyCoUnit;
  const file = h("button", { type: "button", class: "small", id: "file-appeal", text: "申诉" });
  file.addEventListener("click", async () => {
    const v = await ask(`申诉 · ${ticket.number}`, [
      { name: "kind", label: "申诉类型", type: "select", options: APPEAL_KINDS, required: true },
      { name: "reason", label: "申诉理由", type: "textarea", required: true },
      { name: "attachments", label: "附件说明（每行一项，如：延期申请截图）", type: "textarea" }], "提交申诉");
    if (!v) return;
    const attachments = v.attachments.split("\n").map((x) => x.trim()).filter(Boolean);
    const done = await run(file, () => api("POST", `/api/tickets/${ticket.id}/appeals`, { kind: v.kind, reason: v.reason, attachments }),
      "申诉已提交，等待上级裁定");
    if (done && reload) reload();
  });
  if (!data.items.length && !canFile) return null;
  if (!data.items.length) return h("div", { class: "section appeals", id: "ticket-appeals" }, file);
  return h("div", { class: "section appeals", id: "ticket-appeals" },
    h("h3", {}, `申诉（${data.items.length}）`, canFile ? [" ", file] : null),
    data.items.length ? h("ul", { class: "appeal-list" }, data.items.map(appealItem)) : null);
}

// ---- 协办 ---------------------------------------------------------------------------------------

const CO_METHODS = { phone: "电话", visit: "上门", sms: "短信", other: "其他" };
const CO_OUTCOMES = { reached: "已联系上", unreachable: "未联系上", refused: "拒绝沟通" };

// Every co-unit's part (the lead unit reads them before completing); a co-unit records its own here.
export async function coPartsSection(ticket, reload) {
  if (!ticket.co_unit_ids || !ticket.co_unit_ids.length) return null;
  const data = await api("GET", `/api/tickets/${ticket.id}/co-parts`);
  const me = boot.user;
  const mine = ticket.co_unit_ids.includes(me.unit_id) && !["closed", "closed_on_spot", "merged"].includes(ticket.state);
  const myPart = data.items.find((p) => p.unit_id === me.unit_id);
  const open = data.items.filter((p) => !p.done_at);
  return h("div", { class: "section co-parts", id: "co-parts" },
    h("h3", { text: `协办单位（${data.items.length}）` }),
    ticket.holder_unit_id === me.unit_id && open.length
      ? h("p", { class: "notice info", id: "co-open", text: `协办单位尚未完成：${open.map((p) => p.unit_name).join("、")}` }) : null,
    h("ul", { class: "appeal-list" }, data.items.map((p) => h("li", { class: "co-part", dataset: { unit: p.unit_id } },
      h("div", { class: "row-top" },
        h("strong", { text: p.unit_name || "" }),
        h("span", { class: `badge ${p.done_at ? "done" : "warn"}`, text: p.done_at ? "协办完成" : "协办中" }),
        p.done_at ? h("span", { class: "muted", text: `${p.done_by_name || ""} · ${fmtDateTime(p.done_at)}` }) : null),
      p.result ? h("div", { class: "co-result", text: `协办结果：${p.result}` }) : null,
      p.records.length ? h("ul", { class: "attachments" }, p.records.map((x) => h("li", {
        text: `${fmtDateTime(x.at)} ${x.actor || ""} ${x.action === "co_contact" ? `联系诉求人（${CO_METHODS[x.payload.method] || ""}·${CO_OUTCOMES[x.payload.outcome] || ""}）` : "进展"}：${x.text || ""}`,
      }))) : null))),
    mine && myPart && !myPart.done_at ? coPartForm(ticket, reload) : null);
}

function coPartForm(ticket, reload) {
  const act = async (button, path, body, done) => {
    const result = await run(button, () => api("POST", `/api/tickets/${ticket.id}/${path}`, body), done);
    if (result && reload) reload();
  };
  const note = h("textarea", { name: "co_note", rows: 2, maxlength: 2000, placeholder: "协办进展，如：已派执法队员到场" });
  const method = h("select", { name: "co_method" }, Object.entries(CO_METHODS).map(([v, l]) => h("option", { value: v, text: l })));
  const outcome = h("select", { name: "co_outcome" }, Object.entries(CO_OUTCOMES).map(([v, l]) => h("option", { value: v, text: l })));
  const result = h("textarea", { name: "co_result", rows: 2, maxlength: 2000, placeholder: "协办结果：本单位做了什么、结果如何" });
  const addNote = h("button", { type: "button", id: "co-note", text: "添加协办进展" });
  const contact = h("button", { type: "button", id: "co-contact", text: "记录联系" });
  const done = h("button", { type: "button", id: "co-done", class: "primary", text: "协办完成" });
  addNote.addEventListener("click", () => note.value.trim() ? act(addNote, "co-notes", { text: note.value.trim() }, "已添加协办进展") : note.focus());
  contact.addEventListener("click", () => act(contact, "co-contact", { method: method.value, outcome: outcome.value, note: note.value.trim() }, "已记录联系情况"));
  done.addEventListener("click", () => result.value.trim() ? act(done, "co-done", { result: result.value.trim() }, "协办完成，主办单位可见") : result.focus());
  const form = h("form", { class: "action-form", id: "co-part-form" }, h("h4", { text: "本单位协办" }),
    note, h("div", { class: "row3" }, h("label", {}, "联系方式", method), h("label", {}, "结果", outcome)),
    h("div", { class: "actions" }, addNote, contact), result, h("div", { class: "actions" }, done));
  form.addEventListener("submit", (e) => e.preventDefault());
  return form;
}

// ---- 知识库 at work -----------------------------------------------------------------------------

// Search the knowledge base beside a ticket and link the answer given (引用); the answers linked so far.
export async function kbSection(ticket, reload) {
  const data = await api("GET", `/api/tickets/${ticket.id}/kb-links`);
  const finished = ["closed", "closed_on_spot", "merged"].includes(ticket.state);
  const results = h("div", { class: "kb-results", id: "ticket-kb-results" });
  const q = h("input", { type: "search", id: "ticket-kb-q", maxlength: 500, placeholder: "检索知识库，如：噪音 投诉" });
  const go = h("button", { type: "submit", class: "small", text: "检索" });
  const form = h("form", { class: "kb-search-inline", id: "ticket-kb-search" }, q, go);
  const linked = new Set(data.items.map((x) => x.kb_entry_id));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!q.value.trim()) return q.focus();
    const found = await run(go, () => api("GET", `/api/kb?q=${encodeURIComponent(q.value.trim())}`));
    if (!found) return;
    clear(results, found.items.length ? found.items.map((entry) => h("div", { class: "kb-hit", dataset: { entry: entry.id } },
      h("strong", { text: entry.title }), h("p", { text: entry.answer }),
      finished || linked.has(entry.id) ? h("span", { class: "muted", text: linked.has(entry.id) ? "已引用" : "" })
        : h("button", { type: "button", class: "small kb-link", text: "引用此答复", onclick: async (ev) => {
          const done = await run(ev.currentTarget, () => api("POST", `/api/tickets/${ticket.id}/kb-links`, { kb_entry_id: entry.id }),
            "已引用知识库答复");
          if (done && reload) reload();
        } }))) : h("p", { class: "muted", text: "没有匹配的条目" }));
  });
  return h("details", { class: "section kb-section", id: "ticket-kb", open: data.items.length ? true : null },
    h("summary", { text: `知识库（已引用 ${data.items.length}）` }),
    data.items.length ? h("ul", { class: "appeal-list", id: "kb-linked" }, data.items.map((x) => h("li", { class: "kb-linked-item" },
      h("strong", { text: x.title }), h("span", { class: "muted", text: ` ${x.unit_name || ""} ${x.linked_by_name} · ${fmtDateTime(x.linked_at)}` }),
      h("p", { class: "muted", text: x.answer })))) : null,
    finished ? null : [form, results]);
}
