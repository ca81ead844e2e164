// 系统管理 (admin): the org tree, categories and the knowledge base (search, add, edit or take out of use);
// the log of reads of callers' personal data (个人信息查阅记录), filtered and paged.
import { api, h, clear, toast, run, ask, loadUnits, fmtDateTime, $ } from "./common.js";

let units = new Map();
let categories = [];

function tree(unit, q) {
  const kids = unit.children.map((c) => tree(c, q)).filter(Boolean);
  const hit = !q || unit.name.includes(q) || (unit.aliases || []).some((a) => a.includes(q));
  if (!hit && !kids.length) return null;
  const label = h("span", {}, h("span", { class: "unit-name", text: unit.name }),
    h("span", { class: "muted", text: ` ${unit.level_label}${unit.kind ? " · " + unit.kind : ""}${(unit.aliases || []).length ? " · 别名 " + unit.aliases.join("、") : ""}` }));
  if (!unit.children.length) return h("li", {}, label);
  return h("li", {}, h("details", { open: Boolean(q) || unit.parent_id === null }, h("summary", {}, label), h("ul", {}, kids)));
}

function drawTree() {
  const q = $("#unit-filter").value.trim();
  const roots = [...units.values()].filter((u) => !u.parent_id || !units.has(u.parent_id));
  clear($("#unit-tree"), h("ul", { class: "tree-root" }, roots.map((r) => tree(r, q)).filter(Boolean)));
}

function drawCategories() {
  $("#n-categories").textContent = String(categories.length);
  clear($("#categories tbody"), categories.map((c) => h("tr", {},
    h("td", { text: c.level1 || "" }), h("td", { text: c.name }), h("td", { class: "mono", text: c.code }))));
  const select = $("#kb-add select[name=category_code]");
  for (const c of categories) select.append(h("option", { value: c.code, text: `${c.level1 ? c.level1 + " / " : ""}${c.name}` }));
}

async function searchKb(q) {
  const box = $("#kb-results");
  try {
    const data = await api("GET", "/api/kb?q=" + encodeURIComponent(q));
    const names = new Map(categories.map((c) => [c.code, c.name]));
    clear(box, data.items.length ? data.items.map((e) => h("article", { class: "kb" },
      h("div", { class: "kb-head" }, h("strong", { text: e.title }),
        h("span", { class: "muted", text: [names.get(e.category_code), (e.keywords || []).join("、")].filter(Boolean).join(" · ") })),
      h("p", { class: "kb-answer", text: e.answer }),
      h("button", { type: "button", class: "small kb-edit", text: "编辑", onclick: (ev) => editKb(ev.currentTarget, e, q) }))) :
      h("p", { class: "muted", text: q ? "没有匹配的条目" : "输入关键词检索" }));
  } catch (err) {
    clear(box, h("p", { class: "error", text: err.message }));
  }
}

// 编辑 a knowledge-base entry in place; 停用 takes it out of every search.
async function editKb(button, entry, q) {
  const v = await ask(`编辑知识库条目 · ${entry.title}`, [
    { name: "title", label: "标题", value: entry.title, required: true },
    { name: "answer", label: "答复", type: "textarea", value: entry.answer, required: true },
    { name: "keywords", label: "关键词（逗号分隔）", value: (entry.keywords || []).join("，") },
    { name: "category_code", label: "分类", type: "select", value: entry.category_code || "",
      options: [["", "（无）"], ...categories.map((c) => [c.code, c.name])] },
    { name: "active", label: "状态", type: "select", value: "true", options: [["true", "启用"], ["false", "停用"]] }], "保存");
  if (!v) return;
  const body = {
    title: v.title, answer: v.answer, active: v.active === "true",
    keywords: v.keywords.split(/[\s,，、;；]+/).map((k) => k.trim()).filter(Boolean),
  };
  if (v.category_code) body.category_code = v.category_code;
  const done = await run(button, () => api("PUT", `/api/kb/${entry.id}`, body), body.active ? "已保存知识库条目" : "已停用知识库条目");
  if (done) searchKb(body.active ? body.title : q);
}

$("#kb-search").addEventListener("submit", (event) => {
  event.preventDefault();
  searchKb($("#kb-q").value.trim());
});

$("#kb-add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const field = (name) => form.elements.namedItem(name);
  const body = {
    title: field("title").value.trim(),
    answer: field("answer").value.trim(),
    keywords: field("keywords").value.split(/[\s,，、;；]+/).map((k) => k.trim()).filter(Boolean),
  };
  if (field("category_code").value) body.category_code = field("category_code").value;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await api("POST", "/api/kb", body);
    toast("已新增知识库条目", "ok");
    form.reset();
    $("#kb-q").value = body.title;
    searchKb(body.title);
  } catch (err) {
    toast(err.message, "error");
  } finally {
    button.disabled = false;
  }
});

$("#unit-filter").addEventListener("input", drawTree);

const PII_PAGE = 50;
let piiOffset = 0;

async function loadPiiReads(offset) {
  const form = $("#pii-filter");
  const params = new URLSearchParams({ limit: String(PII_PAGE), offset: String(offset) });
  for (const name of ["user", "ticket", "from", "to"]) {
    const value = form.elements.namedItem(name).value.trim();
    if (value) params.set(name, value);
  }
  const body = $("#pii-reads tbody");
  try {
    const data = await api("GET", "/api/admin/pii-reads?" + params.toString());
    piiOffset = offset;
    clear(body, data.items.length ? data.items.map((r) => h("tr", { dataset: { read: r.id } },
      h("td", { text: fmtDateTime(r.at) }),
      h("td", { text: `${r.display_name}（${r.username}）` }),
      h("td", { text: r.unit_name }),
      h("td", { class: "mono", text: r.ticket_number }),
      h("td", { text: r.via_label }),
      h("td", { text: r.field_labels.join("、") }))) : h("tr", {}, h("td", { colspan: 6, class: "muted", text: "没有符合条件的记录" })));
    $("#pii-page").textContent = data.items.length ? `第 ${offset + 1}–${offset + data.items.length} 条` : "";
    $("#pii-prev").disabled = offset === 0;
    $("#pii-next").disabled = data.next_offset === null;
  } catch (err) {
    clear(body, h("tr", {}, h("td", { colspan: 6, class: "error", text: err.message })));
  }
}

$("#pii-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  loadPiiReads(0);
});
$("#pii-prev").addEventListener("click", () => loadPiiReads(Math.max(0, piiOffset - PII_PAGE)));
$("#pii-next").addEventListener("click", () => loadPiiReads(piiOffset + PII_PAGE));

async function init() {
  const [byId, cats] = await Promise.all([loadUnits(), api("GET", "/api/categories")]);
  units = byId;
  categories = cats.items;
  $("#n-units").textContent = String(units.size);
  drawTree();
  drawCategories();
  searchKb("");
  loadPiiReads(0);
}
init().catch((err) => toast(err.message, "error"));
