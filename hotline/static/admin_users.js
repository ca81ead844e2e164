// 用户管理: create (a temporary password shown once), edit, deactivate / reactivate, reset a password.
// A district's administrator sees and assigns only the units of its own subtree (the API enforces it).
import { api, ask, boot, clear, fmtDateTime, h, loadUnits, run, subtree, toast, $ } from "./common.js";

const ROLES = { operator: "话务员", dispatcher: "派单员", handler: "承办人", supervisor: "督办人", admin: "管理员" };
let units = new Map();
let unitOptions = [];

function options(select, pairs, selected) {
  clear(select, pairs.map(([v, l]) => h("option", { value: String(v), text: l, defaultSelected: String(v) === String(selected) })));
}

function showTemporary(username, password) {
  $("#temp-user").textContent = username;
  $("#temp-password").textContent = password;
  $("#temp-box").hidden = false;
}

async function edit(user) {
  const values = await ask(`修改用户 ${user.username}`, [
    { name: "display_name", label: "姓名", value: user.display_name, required: true },
    { name: "role", label: "角色", type: "select", options: Object.entries(ROLES), value: user.role },
    { name: "unit_id", label: "单位", type: "select", options: unitOptions, value: String(user.unit_id) },
  ], "保存");
  if (!values) return;
  const body = { display_name: values.display_name, role: values.role, unit_id: Number(values.unit_id) };
  if (await run(null, () => api("PATCH", `/api/admin/users/${user.id}`, body), "已保存")) load();
}

function row(user) {
  const act = (label, path, success, confirmText) => h("button", { type: "button", class: "small", text: label, onclick: async (e) => {
    if (confirmText && !(await ask(confirmText, [], label))) return;
    const result = await run(e.currentTarget, () => api("POST", `/api/admin/users/${user.id}/${path}`), success);
    if (result && result.temporary_password) showTemporary(user.username, result.temporary_password);
    if (result) load();
  } });
  const buttons = [h("button", { type: "button", class: "small", text: "修改", onclick: () => edit(user) }),
    act("重置密码", "reset-password", "已重置密码", `重置 ${user.username} 的密码？其已登录的会话将立即失效。`)];
  if (user.id !== boot.user.id) {
    buttons.push(user.active
      ? act("停用", "deactivate", "已停用", `停用 ${user.username}？其已登录的会话将立即失效。`)
      : act("启用", "reactivate", "已启用"));
  }
  const state = !user.active ? "已停用" : user.must_change_password ? "待修改临时密码" : "在用";
  return h("tr", { class: user.active ? "" : "inactive", dataset: { user: user.username } },
    h("td", { class: "mono", text: user.username }), h("td", { class: "name", text: user.display_name }),
    h("td", { text: user.role_label }), h("td", { text: user.unit_name }),
    h("td", { class: "state", text: state }),
    h("td", { text: user.last_login_at ? fmtDateTime(user.last_login_at) : "—" }),
    h("td", { class: "unit-actions" }, buttons));
}

async function load() {
  const form = $("#user-filter");
  const params = new URLSearchParams();
  if (form.q.value.trim()) params.set("q", form.q.value.trim());
  if (form.active.value) params.set("active", form.active.value);
  try {
    const data = await api("GET", "/api/admin/users?" + params.toString());
    $("#n-users").textContent = String(data.items.length);
    clear($("#users tbody"), data.items.length ? data.items.map(row)
      : h("tr", {}, h("td", { colspan: 7, class: "muted", text: "没有符合条件的用户" })));
  } catch (err) {
    toast(err.message, "error");
  }
}

$("#user-filter").addEventListener("submit", (event) => { event.preventDefault(); load(); });
$("#new-user").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const body = { username: form.username.value.trim(), display_name: form.display_name.value.trim(),
    role: form.role.value, unit_id: Number(form.unit_id.value) };
  const result = await run(form.querySelector("button[type=submit]"), () => api("POST", "/api/admin/users", body), "已新建用户");
  if (result) {
    showTemporary(result.user.username, result.temporary_password);
    form.reset();
    load();
  }
});

async function init() {
  units = await loadUnits();
  const own = units.get(boot.user.unit_id);
  const mine = own ? [{ unit: own, depth: 0 }, ...subtree(units, own.id).map((x) => ({ unit: x.unit, depth: x.depth + 1 }))] : [];
  unitOptions = mine.map(({ unit, depth }) => [String(unit.id), `${"　".repeat(depth)}${unit.name}`]);
  options($("#new-role"), Object.entries(ROLES), "handler");
  options($("#new-unit"), unitOptions, own ? own.id : "");
  load();
}
init().catch((err) => toast(err.message, "error"));
