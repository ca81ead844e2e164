// 办件进度查询 (public, no login): number + the phone's last four digits → stage, unit level, dates.
import { api, boot, h, clear } from "./common.js";

// with the year: a citizen may look up last year's call
const dateTime = new Intl.DateTimeFormat("zh-CN", {
  timeZone: boot.timezone || undefined, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
});
const fmtDateTime = (iso) => (iso ? dateTime.format(new Date(iso)) : "");

const form = document.getElementById("progress-form");
const number = document.getElementById("p-number");
const last4 = document.getElementById("p-last4");
const error = document.getElementById("p-error");
const result = document.getElementById("p-result");
const go = document.getElementById("p-go");

function fail(message, field) {
  error.textContent = message;
  error.hidden = false;
  result.hidden = true;
  if (field) field.focus();
}

function show(p) {
  const rows = [
    ["工单号", p.number],
    ["办理阶段", p.stage],
    ["承办层级", [p.district, p.unit_level].filter(Boolean).join(" · ") || "热线中心"],
    ["受理时间", fmtDateTime(p.created_at)],
    ["派单时间", fmtDateTime(p.assigned_at)],
    ["签收时间", fmtDateTime(p.signed_at)],
    ["办结时间", fmtDateTime(p.completed_at)],
    ["结案时间", fmtDateTime(p.closed_at)],
  ].filter(([, v]) => v);
  clear(result, h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
    h("p", { class: "muted", text: `查询时间 ${fmtDateTime(p.checked_at)}` }));
  result.hidden = false;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const body = { number: number.value.trim(), phone_last4: last4.value.trim() };
  if (!/^[A-Za-z0-9-]{4,40}$/.test(body.number)) return fail("请输入正确的工单号", number);
  if (!/^\d{4}$/.test(body.phone_last4)) return fail("请输入手机号后四位数字", last4);
  go.disabled = true;
  try {
    show(await api("POST", "/api/public/progress", body));
  } catch (err) {
    fail(err.message);
  } finally {
    go.disabled = false;
  }
});
