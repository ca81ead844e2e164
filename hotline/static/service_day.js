// 专题服务日 on the console: while a leader's hotline day runs, the leader beside the operator sees the calls
// marked for the day (about the unit's domain) as they come in. Self-contained: any page with #service-day.
import { api, h, clear, fmtTime } from "./common.js";

const node = document.getElementById("service-day");
const POLL_MS = 3000;

function render(days) {
  node.hidden = !days.length;
  clear(node, days.map((d) => h("div", { class: "service-day-box", dataset: { day: d.id } },
    h("h3", {}, h("span", { class: "badge warn", text: "专题服务日" }), ` ${d.unit_name} · ${d.leader}`),
    h("p", { class: "muted", text: `${d.start}–${d.end} · ${d.topic} · 本场来电 ${d.calls} 件` }),
    d.tickets.length ? h("ol", { class: "service-day-calls" }, d.tickets.slice().reverse().map((t) => h("li", { dataset: { ticket: t.id } },
      h("span", { class: "mono", text: t.number }), " ", h("span", { class: "muted", text: fmtTime(t.created_at) }), " ",
      h("span", { class: "badge", text: t.state_label }), h("div", { class: "summary", text: t.summary })))) : null)));
}

async function load() {
  try {
    render((await api("GET", "/api/service-days/active")).items);
  } catch (err) {
    node.hidden = true;
  }
}

if (node) {
  load();
  setInterval(load, POLL_MS);
}
