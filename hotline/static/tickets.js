// Pieces the queue and the inbox share: a list row, the ticket's facts, its clocks, its chain and trail.
import { api, h, clear, afterRelease, run, countdown, fmtDateTime, stateBadge, trackLabel, typeLabel, trail, chain } from "./common.js";

let categoriesPromise = null;
export function loadCategories() {
  categoriesPromise = categoriesPromise || api("GET", "/api/categories")
    .then((data) => new Map(data.items.map((c) => [c.code, c.name])))
    .catch(() => new Map());
  return categoriesPromise;
}

// The caller as this user may see the ticket: masked, withheld (保密), or as the hotline centre sees it.
export function callerText(ticket) {
  if (ticket.personal_view === "withheld") return "保密（仅热线中心可见）";
  return [ticket.caller_name, ticket.caller_phone].filter(Boolean).join(" ") || "—";
}

// 查看号码: units that need numbers see them masked until they ask; every reveal is logged.
export function revealButton(ticket, onRevealed) {
  if (ticket.personal_view !== "reveal" || !(ticket.caller_phone || ticket.caller_name || ticket.address)) return null;
  const button = h("button", { type: "button", class: "small reveal", text: "查看号码", title: "查看诉求人姓名、号码和地址（将记入个人信息查阅记录）" });
  button.addEventListener("click", async (event) => {
    event.stopPropagation();
    const revealed = await run(button, () => api("POST", `/api/tickets/${ticket.id}/reveal`));
    if (revealed) {
      button.remove();
      onRevealed(revealed);
    }
  });
  return button;
}

export function listRow(ticket, categories, selected, onSelect) {
  const reasons = (ticket.routing && ticket.routing.reasons) || [];
  const caller = h("span", { class: "row-caller", text: callerText(ticket) });
  const row = h("li", { class: "ticket-row" + (selected ? " selected" : ""), dataset: { id: ticket.id } },
    h("button", { type: "button", class: "row-button", "aria-pressed": selected ? "true" : "false", onclick: () => onSelect(ticket.id) },
      h("div", { class: "row-top" },
        h("span", { class: "mono", text: ticket.number }),
        stateBadge(ticket.state, ticket.state_label),
        ticket.urgency === "urgent" ? h("span", { class: "badge urgent", text: "紧急" }) : null,
        ticket.confidential ? h("span", { class: "badge confidential", text: "保密" }) : null,
        "co_done_at" in ticket ? h("span", { class: `badge ${ticket.co_done_at ? "done" : "warn"}`, text: ticket.co_done_at ? "协办完成" : "协办中" }) : null,
        h("span", { class: "row-due" }, ticket.next_due_at ? countdown(ticket.next_due_at, null, ticket.state === "suspended") : "")),
      h("div", { class: "row-meta", text: [typeLabel(ticket.type), categories.get(ticket.category_code) || "未分类",
        ticket.holder_unit_name].filter(Boolean).join(" · ") }),
      h("div", { class: "row-summary", text: ticket.content }),
      ticket.reopen_reason ? h("div", { class: "row-reason reopen", text: `重办：${ticket.reopen_reason}` })
        : reasons.length ? h("div", { class: "row-reason", text: reasons[0] }) : null),
    h("div", { class: "row-person" }, "来电人 ", caller,
      revealButton(ticket, (r) => { caller.textContent = [r.caller_name, r.caller_phone].filter(Boolean).join(" ") || "—"; })));
  return row;
}

export function facts(ticket, categories) {
  const withheld = ticket.personal_view === "withheld";
  const address = h("dd", { id: "ticket-address", text: withheld ? "保密（仅热线中心可见）" : ticket.address || "—" });
  const caller = h("dd", { id: "ticket-caller", text: callerText(ticket) });
  const content = h("p", { class: "content", id: "ticket-content", text: ticket.content });
  const rows = [
    ["类型", `${typeLabel(ticket.type)}（${ticket.channel_label || ticket.channel}）`],
    ["分类", categories.get(ticket.category_code) || ticket.category_code || "未分类"],
    ["地址", address],
    ["来电人", caller],
    ["受理时间", fmtDateTime(ticket.created_at)],
    ["当前承办", ticket.holder_unit_name || "—"],
  ];
  if (ticket.return_count || ticket.reopen_count) {
    rows.push(["统计", `退单 ${ticket.return_count} 次，改派 ${ticket.reroute_count} 次，重办 ${ticket.reopen_count} 次`]);
  }
  const reveal = revealButton(ticket, (r) => {
    caller.textContent = [r.caller_name, r.caller_phone].filter(Boolean).join(" ") || "—";
    address.textContent = r.address || "—";
    content.textContent = r.content;
  });
  if (reveal) caller.append(" ", reveal);
  return h("div", {},
    h("div", { class: "detail-head" },
      h("h2", { class: "mono", text: ticket.number }), stateBadge(ticket.state, ticket.state_label),
      ticket.urgency === "urgent" ? h("span", { class: "badge urgent", text: "紧急" }) : null,
      ticket.is_complex ? h("span", { class: "badge complex", text: "复杂" }) : null,
      ticket.confidential ? h("span", { class: "badge confidential", id: "ticket-confidential", text: "保密",
        title: "诉求人要求保密：姓名、号码和地址仅热线中心可见" }) : null),
    content,
    h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", { text: k }), v instanceof Node ? v : h("dd", { text: v })])));
}

export function clocks(ticket) {
  const running = (ticket.deadlines || []);
  if (!running.length) return null;
  return h("div", { class: "clocks" }, running.map((d) => h("div", { class: "clock" },
    h("span", { class: "clock-name", text: d.rule_name || trackLabel(d.track) }),
    countdown(d.due_at, d.warn_at, d.status === "paused"),
    h("span", { class: "muted", text: `截止 ${fmtDateTime(d.due_at)}` }))));
}

export function routingBox(ticket) {
  const r = ticket.routing;
  if (!r) return null;
  return h("div", { class: "routing" },
    h("h3", { text: "派单依据" }),
    r.suggested_unit_name && !r.auto ? h("p", {}, "建议派往：", h("strong", { text: r.suggested_unit_name })) : null,
    r.auto && r.target_unit_name ? h("p", {}, "自动派至：", h("strong", { text: r.target_unit_name })) : null,
    h("ul", { class: "reasons" }, (r.reasons || []).map((x) => h("li", { text: x }))));
}

export function chainBox(events) {
  const names = chain(events);
  return h("div", { class: "chain", "aria-label": "流转链条" },
    names.map((n, i) => [i ? h("span", { class: "chain-arrow", text: "→" }) : null, h("span", { class: "chain-unit", text: n })]));
}

export function trailBox(events) {
  return h("details", { class: "trail-box", open: true }, h("summary", { text: `全过程记录（${events.length}）` }), trail(events));
}

export async function loadTicket(id) {
  const [ticket, events] = await Promise.all([api("GET", `/api/tickets/${id}`), api("GET", `/api/tickets/${id}/events`)]);
  return { ticket, events: events.events };
}

// The last `request` event not yet answered by one of `answers`, or null.
export function pending(events, request, answers) {
  let open = null;
  for (const e of events) {
    if (e.action === request) open = e;
    else if (answers.includes(e.action)) open = null;
  }
  return open;
}

export function lastOf(events, action) {
  for (let i = events.length - 1; i >= 0; i--) if (events[i].action === action) return events[i];
  return null;
}

// `rows()` into `list`, after the release of a press on it (see afterRelease).
export function renderRows(list, rows) {
  afterRelease(list, () => clear(list, rows()));
}

export function renderList(list, items, categories, selectedId, onSelect, emptyText) {
  renderRows(list, () => items.length ? items.map((t) => listRow(t, categories, t.id === selectedId, onSelect))
    : h("li", { class: "empty muted", text: emptyText }));
}

export function actionForm(title, fields, buttons) {
  const form = h("form", { class: "action-form" }, h("h4", { text: title }), fields, h("div", { class: "actions" }, buttons));
  form.addEventListener("submit", (e) => e.preventDefault());
  return form;
}
