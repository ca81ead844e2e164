// 专题服务日 (supervisor): schedule a leader's hotline day for the own unit or one below; the days from a week ago
// on, each with its marked calls and what became of them.
import { api, boot, h, clear, run, loadUnits, subtree, serverNow, $ } from "./common.js";

const form = $("#day-form");

async function fillUnits() {
  const units = await loadUnits();
  const own = units.get(boot.user.unit_id);
  const select = $("#day-unit");
  clear(select, own ? h("option", { value: String(own.id), text: own.name }) : null,
    subtree(units, boot.user.unit_id).map(({ unit, depth }) => h("option", { value: String(unit.id), text: `${"　".repeat(depth + 1)}${unit.name}` })));
  form.elements.namedItem("day").value = new Date(serverNow()).toISOString().slice(0, 10);
}

async function load() {
  const data = await api("GET", "/api/service-days");
  $("#n-days").textContent = String(data.items.length);
  clear($("#days"), data.items.length ? data.items.map((d) => h("article", { class: "service-day-box", dataset: { day: d.id } },
    h("h3", { text: `${d.day} ${d.start}–${d.end} · ${d.unit_name} · ${d.leader}` }),
    h("p", { class: "muted", text: `主题：${d.topic}` }),
    h("p", { class: "day-outcomes", text: `来电 ${d.outcomes.calls} 件：当场答复 ${d.outcomes.on_spot}，已办结 ${d.outcomes.closed}，在办 ${d.outcomes.open}；满意 ${d.outcomes.satisfied}` }),
    d.tickets.length ? h("ul", { class: "appeal-list" }, d.tickets.map((t) => h("li", {},
      h("span", { class: "mono", text: t.number }), " ", h("span", { class: "badge", text: t.state_label }), " ",
      h("span", { text: t.summary })))) : null)) : h("p", { class: "muted", text: "暂无专题服务日" }));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const field = (name) => form.elements.namedItem(name).value.trim();
  const body = { unit_id: Number(field("unit_id")), leader: field("leader"), day: field("day"), start: field("start"),
    end: field("end"), topic: field("topic") };
  const done = await run($("#schedule-day"), () => api("POST", "/api/service-days", body), "已安排专题服务日");
  if (done) await load();
});

fillUnits().catch(() => {});
load().catch((err) => clear($("#days"), h("p", { class: "error", text: err.message })));
