// 回访 workbench (operator): tickets waiting for the callback, the longest waiting first, each with how long
// it has waited and its own callback clock; record reached / resolved / satisfaction / note, an unreachable
// attempt, or 免回访 with a reason. Dissatisfied reopens the ticket (重办) with the reason shown to the unit.
import { api, boot, h, clear, run, ask, duration, serverNow, $ } from "./common.js";
import { startLive } from "./live.js";
import { loadCategories, loadTicket, facts, clocks, chainBox, trailBox, lastOf, renderList } from "./tickets.js";

const list = document.getElementById("ticket-list");
const detail = document.getElementById("detail");
let items = [];
let selectedId = null;
let categories = new Map();

const SATISFACTION = [["satisfied", "满意"], ["basically_satisfied", "基本满意"], ["dissatisfied", "不满意"]];

async function refresh() {
  const data = await api("GET", "/api/tickets?scope=callbacks&limit=200");
  items = data.items;
  $("#n-callbacks").textContent = String(items.length);
  renderList(list, items, categories, selectedId, select, "暂无待回访工单");
  for (const t of items) decorate(t);
}

// Each row gets how long it has waited and the unreachable attempts so far.
function decorate(ticket) {
  const row = list.querySelector(`.ticket-row[data-id="${ticket.id}"] .row-top`);
  if (!row) return;
  const waited = serverNow() - Date.parse(ticket.waiting_since);
  row.append(h("span", { class: "row-waited muted", text: `已等待 ${duration(waited)}` }));
  if (ticket.unreachable_attempts) row.append(h("span", { class: "badge warn", text: `未接通 ${ticket.unreachable_attempts} 次` }));
}

async function select(id) {
  selectedId = id;
  renderList(list, items, categories, selectedId, select, "暂无待回访工单");
  for (const t of items) decorate(t);
  clear(detail, h("p", { class: "muted", text: "正在读取…" }));
  try {
    const { ticket, events } = await loadTicket(id);
    if (selectedId !== id) return;
    renderDetail(ticket, events);
  } catch (err) {
    clear(detail, h("p", { class: "error", text: err.message }));
  }
}

function renderDetail(ticket, events) {
  const result = lastOf(events, "submit_completion");
  clear(detail, facts(ticket, categories), clocks(ticket),
    result ? h("div", { class: "quote", id: "completion-result" }, h("strong", { text: "办理结果：" }), result.reason) : null,
    ticket.state === "reviewed" ? callbackForm(ticket) : h("p", { class: "muted", text: "该工单已不在待回访状态。" }),
    h("h3", { text: "流转链条" }), chainBox(events), trailBox(events));
}

function radios(name, options, value) {
  return h("span", { class: "radios", role: "radiogroup" }, options.map(([v, l]) => h("label", { class: "radio" },
    h("input", { type: "radio", name, value: v, checked: v === value ? true : null }), l)));
}

function picked(form, name) {
  const node = form.querySelector(`input[name=${name}]:checked`);
  return node ? node.value : null;
}

function callbackForm(ticket) {
  const note = h("textarea", { name: "note", rows: 2, maxlength: 2000, placeholder: "回访情况；不满意时填写原因（将转给承办单位）" });
  const save = h("button", { type: "button", class: "primary", id: "callback-save", text: "记录回访" });
  const missed = h("button", { type: "button", id: "callback-unreachable", text: "未接通" });
  const waive = h("button", { type: "button", id: "callback-waive", text: "免回访" });
  const form = h("form", { class: "action-form callback-form", id: "callback-form" },
    h("h4", { text: "回访" }),
    h("div", { class: "row3" },
      h("div", {}, h("span", { class: "muted", text: "是否解决 " }), radios("resolved", [["yes", "已解决"], ["no", "未解决"]], "yes")),
      h("div", {}, h("span", { class: "muted", text: "满意度 " }), radios("satisfaction", SATISFACTION, "satisfied"))),
    note,
    h("div", { class: "actions" }, save, missed, waive));
  form.addEventListener("submit", (e) => e.preventDefault());
  save.addEventListener("click", async () => {
    const satisfaction = picked(form, "satisfaction");
    if (satisfaction === "dissatisfied" && !note.value.trim()) {
      note.focus();
      return;
    }
    const body = { reached: true, resolved: picked(form, "resolved") === "yes", satisfaction, note: note.value.trim() };
    const done = satisfaction === "dissatisfied" ? "不满意，已转承办单位重办" : "回访完成，工单已办结";
    await act(save, "callback", body, done);
  });
  missed.addEventListener("click", () => act(missed, "callback", { reached: false, note: note.value.trim() }, "已记录未接通"));
  waive.addEventListener("click", async () => {
    const v = await ask("免回访办结", [{ name: "reason", label: "免回访原因（如：诉求人要求不回访、匿名来电）", type: "textarea", required: true }], "办结");
    if (v) act(waive, "callback-waive", { reason: v.reason }, "已免回访办结");
  });
  return form;
}

async function act(button, path, body, done) {
  const id = selectedId;
  const result = await run(button, () => api("POST", `/api/tickets/${id}/${path}`, body), done);
  if (!result) return;
  await refresh();
  if (result.state === "reviewed") await select(id);
  else if (items[0]) await select(items[0].id);
  else clear(detail, h("p", { class: "muted", id: "all-done", text: "回访已全部完成" }));
}

document.getElementById("refresh").addEventListener("click", () => refresh().catch(() => {}));

async function init() {
  categories = await loadCategories();
  await refresh();
  if (items[0]) select(items[0].id);
}
init().catch((err) => clear(detail, h("p", { class: "error", text: err.message })));
// no polling: a ticket the level above has accepted (待回访) arrives over the socket
startLive({
  list,
  refresh,
  mount: document.querySelector(".list-head"),
  isMine: (e) => e.event_type === boot.labels.events.TICKET_REVIEWED,
});
