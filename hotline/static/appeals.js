// 申诉审核 (supervisor): the appeals of the units below, pending first; 成立 (excluded from the unit's scores) or
// 不成立 with a note; the outcome stays in the list.
import { api, boot, h, clear, run, ask, fmtDateTime, loadUnits, $ } from "./common.js";

let filter = "pending";
let units = new Map();

function below(unitId) {
  // a supervisor decides for the units under their own, never their own unit's appeals
  let node = units.get(unitId);
  while (node && node.parent_id !== null && node.parent_id !== undefined) {
    if (node.parent_id === boot.user.unit_id) return true;
    node = units.get(node.parent_id);
  }
  return false;
}

async function load() {
  const data = await api("GET", "/api/appeals");
  const pending = data.items.filter((a) => a.status === "pending");
  $("#n-pending").textContent = String(pending.length);
  const shown = filter === "pending" ? pending : data.items;
  clear($("#appeal-queue tbody"), shown.length ? shown.map(row) : h("tr", {}, h("td", { colspan: 7, class: "muted", text: "暂无申诉" })));
}

function row(a) {
  const mayDecide = a.status === "pending" && boot.user.role === "supervisor" && below(a.unit_id);
  return h("tr", { dataset: { appeal: a.id, status: a.status } },
    h("td", { class: "mono", text: a.ticket_number }),
    h("td", { text: a.unit_name || "" }),
    h("td", { text: a.kind_label }),
    h("td", { class: "wrap" }, h("div", { text: a.reason }),
      a.attachments.length ? h("ul", { class: "attachments" }, a.attachments.map((x) => h("li", { text: x }))) : null),
    h("td", { text: fmtDateTime(a.filed_at) }),
    h("td", { class: "outcome", text: a.status_label + (a.decision_note ? `：${a.decision_note}` : "") }),
    h("td", { class: "ops" }, mayDecide ? [
      h("button", { type: "button", class: "small approve", text: "申诉成立", onclick: (e) => decide(e.currentTarget, a, true) }),
      h("button", { type: "button", class: "small danger reject", text: "不成立", onclick: (e) => decide(e.currentTarget, a, false) }),
    ] : null));
}

async function decide(button, appeal, approve) {
  const v = await ask(approve ? "申诉成立（不计入该单位考核）" : "申诉不成立",
    [{ name: "note", label: "裁定意见", type: "textarea", required: !approve }], approve ? "成立" : "不成立");
  if (!v) return;
  const done = await run(button, () => api("POST", `/api/appeals/${appeal.id}/decision`, { approve, note: v.note }),
    approve ? "已裁定：申诉成立" : "已裁定：申诉不成立");
  if (done) await load();
}

for (const button of document.querySelectorAll("[data-filter]")) {
  button.addEventListener("click", () => {
    filter = button.dataset.filter;
    for (const b of document.querySelectorAll("[data-filter]")) b.setAttribute("aria-selected", String(b === button));
    load().catch(() => {});
  });
}

async function init() {
  units = await loadUnits();
  await load();
}
init().catch((err) => clear($("#appeal-queue tbody"), h("tr", {}, h("td", { colspan: 7, class: "error", text: err.message }))));
setInterval(() => load().catch(() => {}), 30000);
