// 模型管理 (admin): the versions of the category model, comparing two, rolling back, a retrain on demand,
// and the labels dispatchers gave (what the next training learns from).
import { api, h, clear, run, toast, fmtDateTime, $ } from "./common.js";

const OUTCOMES = { promoted: "已启用", refused: "未通过", skipped: "未训练", failed: "失败" };
const SOURCES = { classifier: "分类模型", operator: "话务员", dispatcher: "派单员" };
let data = null;

const pct = (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%");
const f3 = (v) => (v === null || v === undefined ? "—" : Number(v).toFixed(3));
const short = (v) => (v ? v.slice(0, 12) : "");

async function load() {
  data = await api("GET", "/api/models");
  draw();
}

function draw() {
  const current = data.versions.find((v) => v.current);
  clear($("#current-model"), current
    ? [h("strong", { text: "当前使用：" }), h("span", { class: "mono", id: "current-version", text: current.version }),
       h("span", { text: `（${current.status_label}，训练样本 ${current.n_train} 条）` })]
    : h("span", { text: "当前没有分类模型" }));
  const rollback = $("#rollback");
  rollback.hidden = !data.previous;
  rollback.textContent = data.previous ? `回滚到上一版本（${data.previous}）` : "回滚到上一版本";
  clear($("#versions tbody"), data.versions.map((v) => h("tr", { class: v.current ? "is-current" : "", dataset: { version: v.version } },
    h("td", {}, h("input", { type: "checkbox", class: "pick", value: v.version, "aria-label": "选择对比" })),
    h("td", { class: "mono" }, v.version, v.current ? h("span", { class: "badge", text: "当前" }) : null),
    h("td", { text: fmtDateTime(v.trained_at) }),
    h("td", { text: v.origin_label }),
    h("td", { text: `${v.n_train}（${v.n_tickets}）` }),
    h("td", { class: "mono", title: v.training_data_sha256, text: short(v.training_data_sha256) }),
    h("td", { text: v.holdout ? `${v.holdout.n} 件` : "—" }),
    h("td", { text: v.macro_f1 === null ? "—" : `${f3(v.macro_f1)} / ${f3(v.baseline_macro_f1)}` }),
    // a gate's reason starts with 通过/未通过; an adopted model's says where it came from
    h("td", { class: "reason status-" + v.status, text: v.status === "adopted" ? `${v.status_label}：${v.reason}` : v.reason }),
    h("td", {}, v.can_activate ? activateButton(v.version) : null))));
  for (const box of document.querySelectorAll("#versions .pick")) box.addEventListener("change", picked);
  fillCompare();
  clear($("#runs tbody"), data.runs.map((r) => h("tr", {},
    h("td", { text: fmtDateTime(r.started_at) }), h("td", { text: r.origin_label }),
    h("td", { text: OUTCOMES[r.outcome] || r.outcome }), h("td", { class: "mono", text: short(r.version) }),
    h("td", { class: "reason", text: r.reason }))));
  clear($("#switches tbody"), data.switches.map((s) => h("tr", {},
    h("td", { text: fmtDateTime(s.at) }), h("td", { text: s.action_label }),
    h("td", { class: "mono", text: s.from_version || "—" }), h("td", { class: "mono", text: s.to_version }),
    h("td", { text: s.actor_name }))));
}

function activateButton(version) {
  const button = h("button", { type: "button", class: "activate", text: "启用此版本" });
  button.addEventListener("click", () => rollbackTo(button, version));
  return button;
}

async function rollbackTo(button, version) {
  const body = version ? { version } : {};
  const result = await run(button, () => api("POST", "/api/models/rollback", body), "已切换模型版本，各进程将在数秒内改用");
  if (result) {
    data = result;
    draw();
  }
}

function fillCompare() {
  const options = () => data.versions.map((v) => h("option", { value: v.version, text: `${v.version}（${v.status_label}）` }));
  const a = $("#compare-a");
  const b = $("#compare-b");
  const keepA = a.value;
  const keepB = b.value;
  clear(a, options());
  clear(b, options());
  const current = data.versions.find((v) => v.current);
  const challenger = data.versions.find((v) => v.baseline_version) || data.versions[0];
  a.value = keepA || (challenger && challenger.baseline_version) || (current && current.version) || "";
  b.value = keepB || (challenger && challenger.version) || "";
}

function picked() {
  const chosen = [...document.querySelectorAll("#versions .pick:checked")].map((x) => x.value);
  if (chosen.length >= 2) {
    $("#compare-a").value = chosen[chosen.length - 2];
    $("#compare-b").value = chosen[chosen.length - 1];
  }
}

async function compare(button) {
  const a = $("#compare-a").value;
  const b = $("#compare-b").value;
  if (!a || !b) return;
  const result = await run(button, () => api("GET", `/api/models/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`));
  if (!result) return;
  const cell = (m, key) => h("td", { text: m ? f3(m[key]) : "—" });
  clear($("#comparison"),
    h("p", { class: "muted", text: result.same_slice
      ? `同一留出集（${result.holdout.n} 件）上的对比`
      : "两个版本各自留出集上的指标（非同一批工单，仅供参考）" }),
    h("p", {}, `A ${result.a.version}：宏平均F1 ${f3(result.a.macro_f1)}，准确率 ${pct(result.a.accuracy)}；`,
      `B ${result.b.version}：宏平均F1 ${f3(result.b.macro_f1)}，准确率 ${pct(result.b.accuracy)}`),
    h("div", { class: "scroll" }, h("table", { class: "grid-table", id: "per-class" },
      h("thead", {}, h("tr", {}, ["类别", "A 精确率", "A 召回率", "A F1", "B 精确率", "B 召回率", "B F1", "F1 变化", "样本数"]
        .map((t) => h("th", { text: t })))),
      h("tbody", {}, result.per_class.map((c) => h("tr", { dataset: { label: c.label } },
        h("td", { text: c.label }), cell(c.a, "precision"), cell(c.a, "recall"), cell(c.a, "f1"),
        cell(c.b, "precision"), cell(c.b, "recall"), cell(c.b, "f1"),
        h("td", { class: c.delta_f1 > 0 ? "delta-up" : c.delta_f1 < 0 ? "delta-down" : "",
          text: c.delta_f1 === null ? "—" : (c.delta_f1 > 0 ? "+" : "") + c.delta_f1.toFixed(3) }),
        h("td", { text: String((c.b || c.a || {}).support ?? "—") })))))),
    confusion("A", result.a), confusion("B", result.b));
}

function confusion(name, side) {
  if (!side.labels || !side.labels.length) return null;
  return h("details", { class: "confusion-box" }, h("summary", { text: `${name} 的混淆矩阵（行：真实类别，列：预测类别）` }),
    h("div", { class: "scroll" }, h("table", { class: "confusion" },
      h("thead", {}, h("tr", {}, h("th", {}), side.labels.map((_, j) => h("th", { text: String(j + 1) })))),
      h("tbody", {}, side.confusion.map((row, i) => h("tr", {},
        h("th", { class: "row", text: `${i + 1} ${side.labels[i]}` }),
        row.map((n, j) => h("td", { class: i === j ? "diag" : "", text: n ? String(n) : "" }))))))));
}

async function loadLabels() {
  const labels = await api("GET", "/api/models/labels");
  clear($("#labels tbody"), labels.items.map((l) => h("tr", {},
    h("td", { text: fmtDateTime(l.at) }), h("td", { class: "mono", text: l.number }),
    h("td", { text: `${l.user_name}${l.unit_name ? "（" + l.unit_name + "）" : ""}` }),
    h("td", { text: `${l.from_name || "未分类"}${l.from_source ? "（" + (SOURCES[l.from_source] || l.from_source) + "）" : ""}` }),
    h("td", { text: l.to_name || l.to_code }),
    h("td", { text: l.correction ? "更正" : "确认" }))));
}

$("#rollback").addEventListener("click", (e) => rollbackTo(e.currentTarget, null));
$("#compare").addEventListener("click", (e) => compare(e.currentTarget));
$("#retrain").addEventListener("click", async (e) => {
  const result = await run(e.currentTarget, () => api("POST", "/api/models/retrain", {}));
  if (result) toast(result.queued ? "已排队，训练完成后在训练记录中可见" : "已有一次手动训练在排队", "ok");
});
load().then(loadLabels).catch((err) => clear($("#current-model"), h("span", { class: "error", text: err.message })));
