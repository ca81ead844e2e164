// 时限与日历 (admin): the SLA rules table and a year's calendar of holidays and make-up working days.
// Every change is saved through /api/sla/*; the worker then recomputes the open clocks, and the status
// line follows that job until it reports "已重新计算 N 个时限".
import { api, h, clear, toast, ask, $, TYPES, boot } from "./common.js";

const WEEKDAYS = [[1, "一"], [2, "二"], [3, "三"], [4, "四"], [5, "五"], [6, "六"], [7, "日"]];
const COUNTS = [["working", "工作时间"], ["natural", "自然时间"]];
const KINDS = { holiday: "节假日", workday: "调休上班日" };
const MARK = { holiday: "休", workday: "班" };

let rules = null;
let categories = [];
let year = Number(new Intl.DateTimeFormat("en-CA", { timeZone: boot.timezone, year: "numeric" }).format(new Date()));
let calendar = null;
let polling = null;

function options(select, pairs, value) {
  clear(select, pairs.map(([v, l]) => h("option", { value: v, text: l })));
  if (value !== undefined && value !== null) select.value = value;
  return select;
}

function showProblems(list, err) {
  const problems = (err && err.details && err.details.fields) || (err ? [err.message] : []);
  clear(list, problems.map((p) => h("li", { text: p })));
}

// ---- the rules form ----

function limitRow(limit) {
  const type = options(h("select", { name: "ticket_type", "aria-label": "工单类型" }),
    [["", "任意类型"], ...TYPES], limit.ticket_type || "");
  const known = categories.some((c) => c.code === limit.category_code);
  const categoryOptions = [["", "任意分类"], ...categories.map((c) => [c.code, `${c.level1 ? c.level1 + " / " : ""}${c.name}`])];
  if (limit.category_code && !known) categoryOptions.push([limit.category_code, limit.category_name || limit.category_code]);
  const category = options(h("select", { name: "category_code", "aria-label": "分类" }), categoryOptions, limit.category_code || "");
  const days = h("input", { name: "days", type: "number", min: 1, max: 365, step: 1, value: String(limit.days ?? 15), "aria-label": "时限（天）" });
  const counts = options(h("select", { name: "counts", "aria-label": "计时方式" }), COUNTS, limit.counts || "working");
  const remove = h("button", { type: "button", class: "small danger", text: "删除", "aria-label": "删除此条" });
  const row = h("tr", { class: "limit" }, h("td", {}, type), h("td", {}, category), h("td", {}, days), h("td", {}, counts), h("td", {}, remove));
  remove.addEventListener("click", () => row.remove());
  return row;
}

function fillRules(data) {
  rules = data;
  $("#reply_minutes").value = String(data.reply_minutes);
  options($("#reply_counts"), COUNTS, data.reply_counts);
  $("#accept_minutes").value = String(data.accept_minutes);
  options($("#accept_counts"), COUNTS, data.accept_counts);
  $("#warn_percent").value = String(Math.round(data.warn_fraction * 1000) / 10);
  $("#office_hours").value = data.office_hours.map(([a, b]) => `${a}-${b}`).join(", ");
  clear($("#weekdays"), WEEKDAYS.map(([n, label]) => h("label", { class: "weekday" },
    h("input", { type: "checkbox", value: String(n), checked: data.weekdays.includes(n) }), `周${label}`)));
  clear($("#completion-table tbody"), data.completion.map(limitRow));
  $("#rules-source").textContent = data.stored ? "" : "（尚未保存：当前为配置文件中的默认值）";
  clear($("#rules-errors"));
}

function parseHours(text) {
  const parts = text.split(/[,，;；、]+/).map((p) => p.trim()).filter(Boolean);
  const pairs = parts.map((p) => p.split(/\s*[-–~～至]\s*/));
  const clock = (t) => (/^\d{1,2}:\d{2}$/.test(t) ? t.padStart(5, "0") : null);
  if (!pairs.length || pairs.some((p) => p.length !== 2 || !clock(p[0]) || !clock(p[1]))) return null;
  return pairs.map(([a, b]) => [clock(a), clock(b)]);
}

function readRules() {
  const hours = parseHours($("#office_hours").value);
  if (!hours) throw new Error("办公时间应写作 09:00-12:00, 13:30-17:30");
  const number = (id) => Number($(id).value === "" ? NaN : $(id).value);
  return {
    version: rules ? rules.version : null,
    reply_minutes: number("#reply_minutes"),
    reply_counts: $("#reply_counts").value,
    accept_minutes: number("#accept_minutes"),
    accept_counts: $("#accept_counts").value,
    warn_fraction: number("#warn_percent") / 100,
    office_hours: hours,
    weekdays: [...document.querySelectorAll("#weekdays input:checked")].map((i) => Number(i.value)),
    completion: [...document.querySelectorAll("#completion-table tbody tr.limit")].map((row) => ({
      ticket_type: row.querySelector("[name=ticket_type]").value || null,
      category_code: row.querySelector("[name=category_code]").value || null,
      days: Number(row.querySelector("[name=days]").value),
      counts: row.querySelector("[name=counts]").value,
    })),
  };
}

$("#add-limit").addEventListener("click", () => {
  const row = limitRow({ ticket_type: null, category_code: null, days: 15, counts: "working" });
  $("#completion-table tbody").append(row);
  row.querySelector("select").focus();
});

$("#rules-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = $("#save-rules");
  let body;
  try {
    body = readRules();
  } catch (err) {
    showProblems($("#rules-errors"), err);
    return;
  }
  if ([body.reply_minutes, body.accept_minutes, body.warn_fraction].some(Number.isNaN)
    || body.completion.some((l) => Number.isNaN(l.days) || !Number.isInteger(l.days))) {
    showProblems($("#rules-errors"), new Error("时限与预警比例须填写数字，办结天数须为整数"));
    return;
  }
  button.disabled = true;
  try {
    const data = await api("PUT", "/api/sla/rules", body);
    fillRules(data);
    toast("规则已保存", "ok");
    followRecompute(data.recompute);
    await loadCalendar();
  } catch (err) {
    showProblems($("#rules-errors"), err);
    toast(err.message, "error");
  } finally {
    button.disabled = false;
  }
});

// ---- the calendar ----

const pad = (n) => String(n).padStart(2, "0");
const iso = (y, m, d) => `${y}-${pad(m)}-${pad(d)}`;
const WEEK_HEAD = ["一", "二", "三", "四", "五", "六", "日"];

function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: boot.timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

function month(y, m, marks, weekdays, now) {
  const first = new Date(Date.UTC(y, m - 1, 1));
  const lead = (first.getUTCDay() + 6) % 7; // Monday first
  const length = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const cells = [];
  for (let i = 0; i < lead; i++) cells.push(h("span", { class: "day blank" }));
  for (let d = 1; d <= length; d++) {
    const date = iso(y, m, d);
    const isoDay = ((lead + d - 1) % 7) + 1;
    const mark = marks.get(date);
    const classes = ["day"];
    if (mark) classes.push(mark.kind);
    else if (!weekdays.includes(isoDay)) classes.push("weekend");
    if (date === now) classes.push("today");
    const label = `${date}${mark ? " " + (mark.name || KINDS[mark.kind]) + "（" + KINDS[mark.kind] + "）" : ""}`;
    cells.push(h("button", { type: "button", class: classes.join(" "), dataset: { date }, title: label, "aria-label": label,
      onclick: () => editDay(date, mark) }, h("span", { class: "day-n", text: String(d) }),
      mark ? h("span", { class: "day-mark", text: MARK[mark.kind] }) : null));
  }
  return h("div", { class: "month" }, h("h4", { text: `${m} 月` }),
    h("div", { class: "week-head" }, WEEK_HEAD.map((w) => h("span", { text: w }))),
    h("div", { class: "days" }, cells));
}

function drawCalendar() {
  const marks = new Map(calendar.days.map((d) => [d.date, d]));
  const now = today();
  $("#cal-year").textContent = `${calendar.year} 年`;
  const holidays = calendar.days.filter((d) => d.kind === "holiday").length;
  const workdays = calendar.days.length - holidays;
  $("#cal-summary").textContent = calendar.days.length
    ? `本年节假日 ${holidays} 天，调休上班 ${workdays} 天。`
    : "本年尚未设置节假日与调休（国务院办公厅每年 11 月前后公布次年安排，可在下方导入）。";
  clear($("#calendar"), Array.from({ length: 12 }, (_, i) => month(calendar.year, i + 1, marks, calendar.weekdays, now)));
}

async function loadCalendar() {
  calendar = await api("GET", `/api/sla/calendar?year=${year}`);
  drawCalendar();
}

async function editDay(date, mark) {
  const weekday = "一二三四五六日"[(new Date(date + "T00:00:00Z").getUTCDay() + 6) % 7];
  const values = await ask(`${date}（星期${weekday}）${mark ? "：当前为" + KINDS[mark.kind] : ""}`, [
    { name: "kind", label: "设为", type: "select", value: mark ? mark.kind : "holiday",
      options: [["holiday", "节假日（休息）"], ["workday", "调休上班日"], ["normal", "普通日（按每周工作日）"]] },
    { name: "name", label: "名称（如：春节、国庆节）", type: "text", value: mark ? mark.name : "" },
  ], "保存");
  if (!values) return;
  try {
    calendar = await api("POST", "/api/sla/calendar/days", { date, kind: values.kind, name: values.name, replace: true });
    drawCalendar();
    toast(values.kind === "normal" ? `${date} 已恢复为普通日` : `${date} 已设为${KINDS[values.kind]}`, "ok");
    followRecompute(calendar.recompute);
  } catch (err) {
    toast(err.message, "error");
  }
}

$("#prev-year").addEventListener("click", () => { year -= 1; loadCalendar().catch((err) => toast(err.message, "error")); });
$("#next-year").addEventListener("click", () => { year += 1; loadCalendar().catch((err) => toast(err.message, "error")); });

function base64(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

$("#cal-file").addEventListener("change", () => {
  const file = $("#cal-file").files[0];
  $("#cal-file-name").textContent = file ? file.name : "未选择文件";
});

$("#cal-import").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("#cal-file").files[0];
  if (!file) {
    toast("请先选择要导入的文件", "error");
    return;
  }
  const button = $("#import-calendar");
  button.disabled = true;
  clear($("#import-errors"));
  try {
    const result = await api("POST", "/api/sla/calendar/import", { filename: file.name, content_base64: base64(await file.arrayBuffer()) });
    toast(`已导入 ${result.years.join("、")} 年：节假日 ${result.holidays} 天，调休上班 ${result.workdays} 天`, "ok");
    year = result.years[0];
    await loadCalendar();
    followRecompute(result.recompute);
    $("#cal-import").reset();
    $("#cal-file-name").textContent = "未选择文件";
  } catch (err) {
    showProblems($("#import-errors"), err);
    toast("导入失败，未写入任何数据", "error");
  } finally {
    button.disabled = false;
  }
});

// ---- the recomputation of open clocks ----

function showRecompute(r) {
  const line = $("#recompute-status");
  if (!r) {
    line.textContent = "";
    return;
  }
  line.dataset.status = r.status;
  line.textContent = `${r.reason}：${r.message}`;
}

function followRecompute(r) {
  showRecompute(r);
  clearTimeout(polling);
  if (!r || r.status === "done") return;
  const poll = async () => {
    try {
      const { recompute } = await api("GET", "/api/sla/recompute");
      showRecompute(recompute);
      if (recompute && recompute.status !== "done") polling = setTimeout(poll, 1000);
    } catch (err) {
      polling = setTimeout(poll, 3000);
    }
  };
  polling = setTimeout(poll, 500);
}

async function init() {
  const [data, cats] = await Promise.all([api("GET", "/api/sla/rules"), api("GET", "/api/categories")]);
  categories = cats.items;
  fillRules(data);
  await loadCalendar();
  followRecompute(data.recompute);
}
init().catch((err) => toast(err.message, "error"));
