// 审计日志: filter by user, action (or its group), target and local dates; pages of 50; CSV of the same filter.
import { api, clear, fmtDateTime, h, toast, $ } from "./common.js";

const PAGE = 50;
const GROUPS = { login: "登录", user: "用户", unit: "单位", sla: "时限规则", calendar: "工作日历", import: "导入" };
let offset = 0;
let actionsShown = false;

function params() {
  const form = $("#audit-filter");
  const p = new URLSearchParams();
  for (const name of ["user", "action", "target", "from", "to"]) {
    const value = form.elements.namedItem(name).value.trim();
    if (value) p.set(name, value);
  }
  return p;
}

const json = (value) => (value === null || value === undefined ? "" : JSON.stringify(value, null, 1));

function fillActions(actions) {
  if (actionsShown) return;
  actionsShown = true;
  const select = $("#audit-action");
  for (const [code, label] of Object.entries(GROUPS)) select.append(h("option", { value: code, text: `${label}（全部）` }));
  for (const [code, label] of Object.entries(actions)) select.append(h("option", { value: code, text: label }));
}

async function load(at) {
  const p = params();
  $("#audit-export").href = "/api/admin/audit.csv?" + p.toString();
  p.set("limit", String(PAGE));
  p.set("offset", String(at));
  const body = $("#audit tbody");
  try {
    const data = await api("GET", "/api/admin/audit?" + p.toString());
    fillActions(data.actions);
    offset = at;
    clear(body, data.items.length ? data.items.map((e) => h("tr", { dataset: { action: e.action } },
      h("td", { text: fmtDateTime(e.at) }), h("td", { class: "mono", text: e.actor_name }),
      h("td", { text: e.action_label }), h("td", { text: e.target }),
      h("td", { class: "mono", text: e.ip, title: e.user_agent }),
      h("td", {}, h("div", { class: "audit-json", text: json(e.before) })),
      h("td", {}, h("div", { class: "audit-json", text: json(e.after) }))))
      : h("tr", {}, h("td", { colspan: 7, class: "muted", text: "没有符合条件的记录" })));
    $("#audit-page").textContent = data.items.length ? `第 ${at + 1}–${at + data.items.length} 条` : "";
    $("#audit-prev").disabled = at === 0;
    $("#audit-next").disabled = data.next_offset === null;
  } catch (err) {
    toast(err.message, "error");
  }
}

$("#audit-filter").addEventListener("submit", (event) => { event.preventDefault(); load(0); });
$("#audit-prev").addEventListener("click", () => load(Math.max(0, offset - PAGE)));
$("#audit-next").addEventListener("click", () => load(offset + PAGE));
load(0);
