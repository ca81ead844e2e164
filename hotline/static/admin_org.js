// 机构与分类: the org tree (add, rename, move, merge, deactivate), the categories and the responsibility
// table of one category, checked by the import's own rules before anything is saved.
import { api, ask, clear, h, run, toast, $ } from "./common.js";

const LEVELS = { city: "市", district: "区", department: "区直部门", street: "街道", community: "社区", grid: "网格" };
const CHILD = { city: ["district"], district: ["department", "street"], department: [], street: ["community"], community: ["grid"], grid: [] };
let units = new Map();
let categories = [];

async function loadUnits() {
  const data = await api("GET", "/api/admin/units");
  units = new Map(data.items.map((u) => [u.id, { ...u, children: [] }]));
  for (const u of units.values()) if (u.parent_id && units.has(u.parent_id)) units.get(u.parent_id).children.push(u);
  $("#n-units").textContent = String([...units.values()].filter((u) => u.active).length);
  drawTree();
}

function sameLevel(unit) {
  return [...units.values()].filter((u) => u.level === unit.level && u.id !== unit.id && u.active)
    .map((u) => [String(u.id), `${u.name}（${u.code}）`]);
}

function parents(unit) {
  return [...units.values()].filter((u) => u.active && (CHILD[u.level] || []).includes(unit.level) && u.id !== unit.parent_id)
    .map((u) => [String(u.id), `${u.name}（${u.code}）`]);
}

async function change(call, success) {
  if (await run(null, call, success)) await loadUnits();
}

const ACTIONS = {
  add: async (unit) => {
    const levels = CHILD[unit.level].map((l) => [l, LEVELS[l]]);
    const v = await ask(`在「${unit.name}」下新增单位`, [
      { name: "level", label: "层级", type: "select", options: levels },
      { name: "code", label: "编码（导入和导出用，不可重复）", required: true },
      { name: "name", label: "名称", required: true },
      { name: "kind", label: "部门类型（区直部门必填，如 城管局）" },
      { name: "aliases", label: "别名（以顿号分隔）" },
    ], "新增");
    if (!v) return;
    const aliases = v.aliases.split(/[、,，;；|]/).map((a) => a.trim()).filter(Boolean);
    await change(() => api("POST", "/api/admin/units", { ...v, aliases, parent_id: unit.id }), "已新增单位");
  },
  rename: async (unit) => {
    const v = await ask(`修改「${unit.name}」`, [
      { name: "name", label: "名称", value: unit.name, required: true },
      { name: "kind", label: "部门类型", value: unit.kind },
      { name: "aliases", label: "别名（以顿号分隔）", value: unit.aliases.join("、") },
    ], "保存");
    if (!v) return;
    const aliases = v.aliases.split(/[、,，;；|]/).map((a) => a.trim()).filter(Boolean);
    await change(() => api("PATCH", `/api/admin/units/${unit.id}`, { name: v.name, kind: v.kind, aliases }), "已保存");
  },
  move: async (unit) => {
    const v = await ask(`调整「${unit.name}」的上级单位`, [{ name: "parent_id", label: "新的上级", type: "select", options: parents(unit) }], "调整");
    if (v) await change(() => api("POST", `/api/admin/units/${unit.id}/move`, { parent_id: Number(v.parent_id) }), "已调整上级单位");
  },
  merge: async (unit) => {
    const v = await ask(`把「${unit.name}」并入`, [{ name: "into_id", label: "目标单位（同一层级）", type: "select", options: sameLevel(unit) }], "合并");
    if (v) await change(() => api("POST", `/api/admin/units/${unit.id}/merge`, { into_id: Number(v.into_id) }), "已合并");
  },
  deactivate: async (unit) => {
    if (await ask(`停用「${unit.name}」？停用后不再接收工单和新用户，历史记录保留。`, [], "停用")) {
      await change(() => api("POST", `/api/admin/units/${unit.id}/deactivate`), "已停用");
    }
  },
  reactivate: (unit) => change(() => api("POST", `/api/admin/units/${unit.id}/reactivate`), "已启用"),
};

function buttons(unit) {
  const b = (action, label) => h("button", { type: "button", class: "small", text: label, dataset: { action }, onclick: (e) => {
    e.preventDefault();
    ACTIONS[action](unit);
  } });
  if (!unit.active) return [b("reactivate", "启用")];
  const list = [];
  if (CHILD[unit.level].length) list.push(b("add", "新增下级"));
  list.push(b("rename", "修改"));
  if (unit.parent_id) list.push(b("move", "调整上级"), b("merge", "合并"), b("deactivate", "停用"));
  return list;
}

function node(unit, q) {
  const kids = unit.children.map((c) => node(c, q)).filter(Boolean);
  const text = [unit.name, unit.code, ...unit.aliases, ...unit.former_names].join(" ");
  if (q && !text.includes(q) && !kids.length) return null;
  const merged = unit.merged_into && units.get(unit.merged_into);
  const notes = [LEVELS[unit.level], unit.code, unit.kind, unit.aliases.length ? "别名 " + unit.aliases.join("、") : "",
    unit.former_names.length ? "曾用名 " + unit.former_names.join("、") : "", `用户 ${unit.users}`,
    unit.open_tickets ? `在办 ${unit.open_tickets}` : "", !unit.active ? (merged ? `已并入${merged.name}` : "已停用") : ""].filter(Boolean);
  const label = h("span", { class: "org-unit" + (unit.active ? "" : " inactive"), dataset: { code: unit.code } },
    h("span", { class: "unit-name", text: unit.name }), h("span", { class: "muted", text: " " + notes.join(" · ") }),
    h("span", { class: "unit-actions" }, buttons(unit)));
  if (!kids.length) return h("li", {}, label);
  return h("li", {}, h("details", { open: Boolean(q) || unit.level === "city" || unit.level === "district" }, h("summary", {}, label), h("ul", {}, kids)));
}

function drawTree() {
  const q = $("#org-filter").value.trim();
  const roots = [...units.values()].filter((u) => !u.parent_id);
  clear($("#org-tree"), h("ul", { class: "tree-root" }, roots.map((r) => node(r, q)).filter(Boolean)));
}

async function editCategory(category) {
  const c = category || { code: "", name: "", level1: "", description: "", active: true };
  const v = await ask(category ? `修改分类 ${c.code}` : "新增分类", [
    { name: "code", label: "代码（大写字母开头，如 NOISE）", value: c.code, required: true },
    { name: "name", label: "名称", value: c.name, required: true },
    { name: "level1", label: "一级分类", value: c.level1, required: true },
    { name: "description", label: "说明", type: "textarea", value: c.description },
    { name: "active", label: "状态", type: "select", options: [["true", "在用"], ["false", "停用"]], value: String(c.active) },
  ], "保存");
  if (!v) return;
  const data = await run(null, () => api("PUT", "/api/admin/categories", { ...v, active: v.active === "true" }), "已保存分类");
  if (data) drawCategories(data.items);
}

function drawCategories(items) {
  categories = items;
  $("#n-categories").textContent = String(items.length);
  clear($("#category-table tbody"), items.map((c) => h("tr", { class: c.active ? "" : "inactive" },
    h("td", { text: c.level1 }), h("td", { class: "name", text: c.name }), h("td", { class: "mono", text: c.code }),
    h("td", { text: String(c.rules) }), h("td", { text: c.active ? "在用" : "停用" }),
    h("td", {}, h("button", { type: "button", class: "small", text: "修改", onclick: () => editCategory(c) })))));
  const select = $("#rules-category");
  const keep = select.value;
  clear(select, items.map((c) => h("option", { value: c.code, text: `${c.level1} / ${c.name}（${c.code}）` })));
  if (keep) select.value = keep;
}

function ruleRow(rule) {
  const r = rule || { level: "community", owner_kind: "", owner_unit_code: "", co_handlers: "", priority: "0" };
  const input = (name, width) => h("input", { name, value: r[name], size: width });
  return h("tr", { class: "rule" }, h("td", { class: "n" }),
    h("td", {}, h("select", { name: "level" }, Object.entries(LEVELS).map(([v, l]) => h("option", { value: v, text: l, selected: v === r.level })))),
    h("td", {}, input("owner_kind", 10)), h("td", {}, input("owner_unit_code", 12)), h("td", {}, input("co_handlers", 14)),
    h("td", {}, input("priority", 4)),
    h("td", {}, h("button", { type: "button", class: "small", text: "删除", onclick: (e) => { e.currentTarget.closest("tr").remove(); number(); } })));
}

function number() {
  [...document.querySelectorAll("#rules-table tbody tr.rule")].forEach((tr, i) => { tr.querySelector(".n").textContent = String(i + 1); });
}

function table() {
  const rules = [...document.querySelectorAll("#rules-table tbody tr.rule")].map((tr) => {
    const value = (name) => tr.querySelector(`[name=${name}]`).value.trim();
    return { level: value("level"), owner_kind: value("owner_kind"), owner_unit_code: value("owner_unit_code"),
      co_handlers: value("co_handlers"), priority: value("priority") || "0" };
  });
  return { category_code: $("#rules-category").value, rules };
}

function showProblems(problems) {
  clear($("#rules-problems"), problems.map((p) => h("li", { text: p })));
}

async function loadRules() {
  const code = $("#rules-category").value;
  showProblems([]);
  if (!code) return;
  const data = await api("GET", "/api/admin/rules?category=" + encodeURIComponent(code));
  clear($("#rules-table tbody"), data.items.map(ruleRow));
  number();
}

$("#check-rules").addEventListener("click", async (e) => {
  const data = await run(e.currentTarget, () => api("POST", "/api/admin/rules/check", table()));
  if (data) {
    showProblems(data.problems);
    if (!data.problems.length) toast("检查通过，可以保存", "ok");
  }
});
$("#save-rules").addEventListener("click", async (e) => {
  const button = e.currentTarget;
  button.disabled = true;
  try {
    const data = await api("PUT", "/api/admin/rules", table());
    showProblems([]);
    clear($("#rules-table tbody"), data.items.map(ruleRow));
    number();
    toast("已保存责任规则", "ok");
    drawCategories((await api("GET", "/api/admin/categories")).items);
  } catch (err) {
    showProblems(err.details && err.details.fields ? err.details.fields : [err.message]);
  } finally {
    button.disabled = false;
  }
});
$("#add-rule").addEventListener("click", () => { $("#rules-table tbody").append(ruleRow()); number(); });
$("#rules-category").addEventListener("change", () => loadRules().catch((err) => toast(err.message, "error")));
$("#add-category").addEventListener("click", () => editCategory(null));
$("#org-filter").addEventListener("input", drawTree);

async function init() {
  const [, cats] = await Promise.all([loadUnits(), api("GET", "/api/admin/categories")]);
  drawCategories(cats.items);
  await loadRules();
}
init().catch((err) => toast(err.message, "error"));
