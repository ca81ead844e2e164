// 安全 (admin): the record of sign-in attempts, filtered and paged; Open311 client keys (create, shown once;
// revoke).
import { api, h, clear, toast, run, fmtDateTime, $ } from "./common.js";

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

async function loadKeys() {
  const data = await api("GET", "/api/admin/open311-clients");
  clear($("#open311-clients tbody"), data.items.length ? data.items.map((c) => h("tr", { dataset: { client: c.id } },
    h("td", { text: c.name }),
    h("td", { class: "mono", text: c.key_hint }),
    h("td", { class: "mono", text: c.acts_as }),
    h("td", { text: `${fmtDateTime(c.created_at)}（${c.created_by}）` }),
    h("td", { text: c.last_used_at ? fmtDateTime(c.last_used_at) : "—" }),
    h("td", { class: c.active ? "" : "muted", text: c.active ? "有效" : `已吊销 ${fmtDateTime(c.revoked_at)}` }),
    h("td", {}, c.active ? h("button", { type: "button", class: "small revoke", text: "吊销",
      onclick: async (event) => {
        if (await run(event.currentTarget, () => api("POST", `/api/admin/open311-clients/${c.id}/revoke`), `已吊销 ${c.name}`)) {
          await loadKeys();
        }
      } }) : ""))) :
    h("tr", {}, h("td", { colspan: 7, class: "muted", text: "还没有密钥" })));
}

$("#key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const body = { name: form.elements.namedItem("name").value.trim(), acts_as: form.elements.namedItem("acts_as").value.trim() };
  const created = await run(form.querySelector("button[type=submit]"), () => api("POST", "/api/admin/open311-clients", body));
  if (!created) return;
  $("#key-value").textContent = created.key;
  $("#key-once").hidden = false;
  form.elements.namedItem("name").value = "";
  await loadKeys();
});

loadLogins(0).catch((err) => toast(err.message, "error"));
loadKeys().catch((err) => toast(err.message, "error"));
