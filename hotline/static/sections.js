// Self-contained sections of a ticket's story that any page can place (the inbox, the queue, the ticket
// page): each takes the ticket and its events (and a `reload` to call after an action) and returns a node
// or null. They call the JSON API themselves.
import { h } from "./common.js";
import { lastOf } from "./tickets.js";

// 重办: a dissatisfied callback reopened the ticket; the unit sees the citizen's reason first.
export function reopenSection(ticket, events) {
  if (!ticket.reopen_count) return null;
  const last = lastOf(events, "callback_dissatisfied");
  return h("div", { class: "notice reopen", id: "reopen-reason" },
    h("strong", { text: `回访不满意，重办（第 ${ticket.reopen_count} 次）：` }), last ? last.reason || "（未填写原因）" : "");
}
