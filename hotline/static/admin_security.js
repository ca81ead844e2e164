// 安全 (admin): the record of sign-in attempts, filtered and paged.
import { api, h, clear, toast, fmtDateTime, $ } from "./common.js";

const PAGE = 50;
let offset = 0;
const KINDS = { session: "网页", api: "接口令牌" };

async function loadLogins(from) {
  const form = $("#login-filter");
  const params = new URLSearchParams({ limit: String(PAGE), offset: String(from) });
  for (const name of ["user", "outcome"]) {
    const value = form.elements.namedItem(name).value.trim();
    if (value) params.set(name, value);
  }
  const body = $("#login-events tbody");
  try {
    const data = await api("GET", "/api/admin/logins?" + params.toString());
    offset = from;
    clear(body, data.items.length ? data.items.map((e) => h("tr", { dataset: { event: e.id, outcome: e.outcome } },
      h("td", { text: fmtDateTime(e.at) }),
      h("td", { class: "mono", text: e.username }),
      h("td", { text: e.display_name || "—" }),
      h("td", { class: "mono", text: e.address }),
      h("td", { text: KINDS[e.kind] || e.kind }),
      h("td", { class: e.outcome === "ok" ? "" : "error", text: e.outcome_label }))) :
      h("tr", {}, h("td", { colspan: 6, class: "muted", text: "没有符合条件的记录" })));
    $("#logins-page").textContent = data.items.length ? `第 ${from + 1}–${from + data.items.length} 条` : "";
    $("#logins-prev").disabled = from === 0;
    $("#logins-next").disabled = data.next_offset === null;
  } catch (err) {
    clear(body, h("tr", {}, h("td", { colspan: 6, class: "error", text: err.message })));
  }
}

$("#login-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  loadLogins(0);
});
$("#logins-prev").addEventListener("click", () => loadLogins(Math.max(0, offset - PAGE)));
$("#logins-next").addEventListener("click", () => loadLogins(offset + PAGE));

loadLogins(0).catch((err) => toast(err.message, "error"));
