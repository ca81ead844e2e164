// 外部推送 (admin): the unit's webhooks with their delivery figures and last error, recent deliveries with
// their attempts, enable/disable, and a form for a new one whose secret is shown once.
import { api, boot, h, clear, run, toast, loadUnits, unitPicker, fmtDateTime, $ } from "./common.js";

let events = {};

function failure(hook) {
  const f = hook.last_failure;
  if (!f) return "—";
  return `${f.last_error || "—"}（第 ${f.attempts} 次，${fmtDateTime(f.last_attempt_at)}）`;
}

function row(hook) {
  const toggle = h("button", { type: "button", class: "small", text: hook.enabled ? "停用" : "启用" });
  toggle.addEventListener("click", async () => {
    if (await run(toggle, () => api("POST", `/api/admin/webhooks/${hook.id}/enabled`, { enabled: !hook.enabled }),
      hook.enabled ? "已停用" : "已启用")) load();
  });
  const more = h("button", { type: "button", class: "small", text: "投递记录" });
  more.addEventListener("click", () => deliveries(hook));
  return h("tr", { dataset: { id: hook.id } },
    h("td", { text: hook.unit_name + (hook.username ? ` / ${hook.username}` : "") + (hook.include_subtree ? "（含下级）" : "") }),
    h("td", { class: "mono", text: hook.url }),
    h("td", { text: hook.events.map((e) => events[e] || e).join("、") }),
    h("td", { class: "hook-counts", text: `${hook.delivered} / ${hook.failed} / ${hook.pending}` }),
    h("td", { class: "hook-error", text: failure(hook) }),
    h("td", {}, h("span", { class: "badge", text: hook.enabled ? "启用" : "停用" }), " ", toggle, " ", more));
}

async function deliveries(hook) {
  const data = await api("GET", `/api/admin/webhooks/${hook.id}/deliveries`);
  clear($("#hook-deliveries"), h("h3", { text: `投递记录：${hook.url}` }),
    h("table", { class: "grid-table" }, h("thead", {}, h("tr", {}, ["时间", "事件", "工单", "尝试次数", "结果"].map((t) => h("th", { text: t })))),
      h("tbody", {}, data.items.map((d) => h("tr", {},
        h("td", { text: fmtDateTime(d.created_at) }), h("td", { text: events[d.event] || d.event }),
        h("td", { class: "mono", text: (d.payload.ticket || {}).number || "" }), h("td", { text: String(d.attempts) }),
        h("td", { text: d.delivered_at ? `已送达（${d.last_status}）` : d.failed_at ? `已放弃：${d.last_error}` : d.last_error ? `重试中：${d.last_error}` : "待发送" }))))));
}

async function load() {
  const data = await api("GET", "/api/admin/webhooks");
  events = data.events;
  clear($("#hooks tbody"), data.items.length ? data.items.map(row) : h("tr", {}, h("td", { colspan: 6, class: "muted", text: "尚未配置外部推送" })));
}

async function form() {
  const units = await loadUnits();
  const picker = unitPicker(units, boot.user.unit_id, "unit_id");
  const url = h("input", { name: "url", type: "url", required: true, maxlength: 2000, placeholder: "https://sms.example.gov.cn/hotline" });
  const user = h("input", { name: "username", maxlength: 64, placeholder: "（可不填）个人推送：该单位的用户名" });
  const boxes = Object.entries(events).map(([value, label]) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "events", value, checked: value === "assigned" }), label));
  const subtree = h("input", { type: "checkbox", name: "include_subtree" });
  const submit = h("button", { type: "submit", class: "primary", text: "保存" });
  const box = $("#hook-add");
  clear(box, h("label", {}, "单位", picker.node), h("label", {}, "推送地址", url), h("label", {}, "用户", user),
    h("fieldset", { class: "hook-events" }, h("legend", { text: "推送事件" }), boxes),
    h("label", { class: "check" }, subtree, "含下级单位的事件"), submit);
  box.onsubmit = async (event) => {
    event.preventDefault();
    const chosen = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
    const unit = picker.select.value;
    if (!unit) return toast("请选择单位", "error");
    const body = { unit_id: Number(unit), url: url.value.trim(), events: chosen, include_subtree: subtree.checked };
    if (user.value.trim()) body.username = user.value.trim();
    const created = await run(submit, () => api("POST", "/api/admin/webhooks", body), "已新增外部推送");
    if (!created) return;
    const secret = $("#hook-secret");
    secret.hidden = false;
    clear(secret, h("p", { class: "warn-text", text: "签名密钥（仅此一次显示，请立即复制到接收方）：" }),
      h("code", { id: "hook-secret-value", class: "mono", text: created.secret }),
      h("p", { class: "hint", text: "接收方用 HMAC-SHA256(密钥, 时间戳 + \".\" + 请求体) 核对请求头 X-Hotline-Signature（sha256=…），时间戳在 X-Hotline-Timestamp。" }));
    url.value = "";
    load();
  };
}

load().then(form).catch((err) => clear($("#hooks tbody"), h("tr", {}, h("td", { colspan: 6, class: "error", text: err.message }))));
