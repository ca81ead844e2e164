// 查找工单: one search for every role within its scope (GET /api/search/tickets); every line opens the
// ticket page. The form is mirrored in the address bar, so a search can be bookmarked or sent on.
import { api, boot, h, clear, run, countdown, fmtDateTime, stateBadge, typeLabel, actionLabel, loadUnits, subtree, $ } from "./common.js";
import { loadCategories } from "./tickets.js";

const form = document.getElementById("search-form");
const box = document.getElementById("search-q");
const by = document.getElementById("search-by");
const list = document.getElementById("results");
const empty = document.getElementById("results-empty");
const count = document.getElementById("result-count");
const more = document.getElementById("more");
const FILTERS = ["category", "unit", "state", "type", "channel", "from", "to", "sort"];
const FLAGS = ["overdue", "supervised"];
const PHONE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;
const NUMBER = /^[A-Za-z0-9-]{4,40}$/;
let next = null;
let shown = 0;

// What the box holds: a phone (the centre only), a ticket number, or words.
function keyOf(text, choice) {
  if (!text) return null;
  if (choice !== "auto") return choice;
  if (boot.at_city && PHONE.test(text)) return "phone";
  return NUMBER.test(text) && /\d/.test(text) ? "number" : "q";
}

function params() {
  const p = new URLSearchParams();
  const text = box.value.trim();
  const key = keyOf(text, by.value);
  if (key) p.set(key, text);
  for (const name of FILTERS) {
    const v = $(`#f-${name}`).value;
    if (v && !(name === "sort" && v === "newest")) p.set(name, v);
  }
  for (const name of FLAGS) if ($(`#f-${name}`).checked) p.set(name, "1");
  return p;
}

function line(t) {
  return h("li", { class: "result-line", dataset: { id: t.id } },
    h("a", { class: "result-link", href: `/tickets/${t.id}` },
      h("div", { class: "row-top" },
        h("span", { class: "mono", text: t.number }),
        stateBadge(t.state, t.state_label),
        t.overdue ? h("span", { class: "badge overdue", text: "超期" }) : null,
        t.supervised ? h("span", { class: "badge supervised", text: "督办" }) : null,
        t.confidential ? h("span", { class: "badge confidential", text: "保密" }) : null,
        t.urgency === "urgent" ? h("span", { class: "badge urgent", text: "紧急" }) : null,
        h("span", { class: "row-due" }, t.next_due_at ? countdown(t.next_due_at, null, t.state === "suspended") : "")),
      h("div", { class: "row-summary", text: t.summary }),
      h("div", { class: "row-meta", text: [
        `${typeLabel(t.type)} · ${t.channel_label}`, t.category_name || "未分类", t.holder_unit_name,
        `受理 ${fmtDateTime(t.created_at)}`, t.caller_phone ? `来电 ${t.caller_phone}` : null,
        t.last_action ? `最近：${actionLabel(t.last_action)} ${fmtDateTime(t.last_at)}` : null,
      ].filter(Boolean).join(" · ") })));
}

async function search(append) {
  const p = params();
  if (!append) history.replaceState(null, "", p.toString() ? `?${p}` : location.pathname);
  if (append && next) p.set("after", next);
  const data = await api("GET", `/api/search/tickets?${p}`);
  if (!append) {
    clear(list);
    shown = 0;
  }
  list.append(...data.items.map(line));
  shown += data.items.length;
  next = data.next;
  more.hidden = !data.more;
  empty.hidden = shown > 0;
  empty.textContent = data.notice || "没有找到符合条件的工单。";
  count.textContent = data.more ? `已显示 ${shown} 张，还有更多` : `共 ${shown} 张`;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  run(document.getElementById("search-go"), () => search(false));
});
more.addEventListener("click", () => run(more, () => search(true)));
for (const name of [...FILTERS, ...FLAGS]) {
  $(`#f-${name}`).addEventListener("change", () => run(document.getElementById("search-go"), () => search(false)));
}

async function init() {
  const [categories, units] = await Promise.all([loadCategories(), loadUnits()]);
  $("#f-category").append(...[...categories].map(([code, name]) => h("option", { value: code, text: name })));
  const mine = units.get(boot.user.unit_id);
  const scope = mine ? [{ unit: mine, depth: 0 }, ...subtree(units, mine.id).map((e) => ({ ...e, depth: e.depth + 1 }))] : [];
  $("#f-unit").append(...scope.map(({ unit, depth }) => h("option", { value: String(unit.id), text: `${"　".repeat(depth)}${unit.name}` })));
  const states = (boot.labels && boot.labels.states) || {};
  $("#f-state").append(...Object.entries(states).map(([v, s]) => h("option", { value: v, text: s.label })));

  const given = new URLSearchParams(location.search);
  for (const key of ["number", "phone", "q"]) {
    if (given.get(key)) {
      box.value = given.get(key);
      if ([...by.options].some((o) => o.value === key)) by.value = key;
    }
  }
  for (const name of FILTERS) if (given.get(name)) $(`#f-${name}`).value = given.get(name);
  for (const name of FLAGS) $(`#f-${name}`).checked = given.get(name) === "1";
  if ([...given.keys()].length) await search(false);
}
init().catch((err) => clear(list, h("li", { class: "error", text: err.message })));
