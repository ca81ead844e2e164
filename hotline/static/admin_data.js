// 数据管理: historical ticket imports (upload in pieces, a worker job, progress and errors).
import { api, h, clear, toast, fmtDateTime, ApiError, $ } from "./common.js";

const STATUS = {
  uploading: "上传中", queued: "排队中", checking: "正在检查", importing: "正在写入", done: "已完成", failed: "失败",
};
const SOURCE = { page: "页面", cli: "命令行" };
const RUNNING = new Set(["queued", "checking", "importing"]);
let watching = null;

async function putPiece(id, part, seq, blob) {
  const response = await fetch(`/api/imports/${id}/chunk?part=${part}&seq=${seq}`, {
    method: "PUT", body: blob, credentials: "same-origin",
    headers: { "Content-Type": "application/octet-stream", Accept: "application/json" },
  });
  if (!response.ok) {
    let message = `上传失败（${response.status}）`;
    try { message = (await response.json()).error.message || message; } catch (err) { /* not JSON */ }
    throw new ApiError(response.status, "upload", message);
  }
}

async function upload(id, part, file, size, onProgress) {
  for (let seq = 0, offset = 0; offset < file.size; seq += 1, offset += size) {
    await putPiece(id, part, seq, file.slice(offset, offset + size));
    onProgress(Math.min(offset + size, file.size));
  }
}

function number(n) {
  return n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN");
}

function show(job) {
  $("#import-current").hidden = false;
  $("#import-file").textContent = job.file_name;
  const status = $("#import-status");
  status.textContent = STATUS[job.status] || job.status;
  status.dataset.status = job.status;
  const bar = $("#import-progress");
  let detail = "";
  if (job.status === "checking") {
    bar.removeAttribute("value");
    detail = `已检查 ${number(job.rows_checked)} 行`;
  } else if (job.status === "importing" || job.status === "done") {
    bar.value = job.rows_total ? Math.round((100 * job.rows_done) / job.rows_total) : 100;
    detail = `已处理 ${number(job.rows_done)} / ${number(job.rows_total)} 行：新写入工单 ${number(job.rows_written)} 件，此前已导入（跳过） ${number(job.rows_existing)} 件`;
  } else if (job.status === "failed") {
    bar.value = 0;
    detail = `导入失败：${number(job.error_count)} 处错误` + (job.rows_written ? `（此前的批次已写入 ${number(job.rows_written)} 件）` : "，未写入任何数据");
  } else {
    bar.value = 0;
    detail = "等待后台任务开始";
  }
  bar.textContent = `${bar.value || 0}%`;
  $("#import-detail").textContent = detail;
  const errors = job.errors || [];
  clear($("#import-errors"), errors.map((e) => h("li", { text: e })));
  if (job.error_count > errors.length) $("#import-errors").append(h("li", { class: "muted", text: `……共 ${job.error_count} 处错误，只列出前 ${errors.length} 处` }));
  $("#import-retry").hidden = job.status !== "failed";
  $("#import-retry").dataset.id = job.id;
}

async function watch(id) {
  watching = id;
  while (watching === id) {
    const job = await api("GET", `/api/imports/${id}`);
    show(job);
    if (!RUNNING.has(job.status)) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (watching === id) loadJobs();
}

async function loadJobs() {
  const data = await api("GET", "/api/imports");
  clear($("#import-jobs tbody"), data.items.map((j) => h("tr", { dataset: { id: j.id } },
    h("td", { text: fmtDateTime(j.created_at) }), h("td", { class: "wrap", text: j.file_name }),
    h("td", { text: SOURCE[j.source] || j.source }), h("td", { text: STATUS[j.status] || j.status }),
    h("td", { text: number(j.rows_total) }), h("td", { text: number(j.rows_written) }),
    h("td", { text: number(j.rows_existing) }), h("td", { text: number(j.error_count) }))));
  return data.items;
}

$("#import-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const file = form.elements.namedItem("file").files[0];
  const mapping = form.elements.namedItem("mapping").files[0];
  if (!file) return;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const body = { file_name: file.name, file_size: file.size };
    if (mapping) body.mapping_name = mapping.name;
    const created = await api("POST", "/api/imports", body);
    show({ id: created.id, file_name: file.name, status: "uploading", rows_done: 0 });
    const bar = $("#import-progress");
    await upload(created.id, "data", file, created.chunk_bytes, (sent) => {
      bar.value = Math.round((100 * sent) / file.size);
      $("#import-detail").textContent = `正在上传：${(sent / 1048576).toFixed(1)} / ${(file.size / 1048576).toFixed(1)} MB`;
    });
    if (mapping) await upload(created.id, "mapping", mapping, created.chunk_bytes, () => {});
    await api("POST", `/api/imports/${created.id}/start`);
    form.reset();
    watch(created.id);
  } catch (err) {
    toast(err.message, "error");
  } finally {
    button.disabled = false;
  }
});

$("#import-retry").addEventListener("click", async (event) => {
  const id = Number(event.currentTarget.dataset.id);
  try {
    await api("POST", `/api/imports/${id}/retry`);
    watch(id);
  } catch (err) {
    toast(err.message, "error");
  }
});

const RUN_STATUS = { running: "进行中", done: "完成", failed: "失败" };
const TRIGGER = { cli: "命令行", schedule: "定时", page: "页面" };

function megabytes(bytes) {
  return bytes === null || bytes === undefined ? "—" : `${(bytes / 1048576).toFixed(1)} MB`;
}

async function loadBackups() {
  const data = await api("GET", "/api/operations/backups");
  const s = data.schedule;
  $("#backup-schedule").textContent = s.daily_at
    ? `每天 ${s.daily_at} 自动备份到 ${s.dir}，保留最近 ${s.keep} 份。`
    : "未开启定时备份（config.toml 的 [backup] daily_at）；可用命令 hotline backup 文件名 备份。";
  clear($("#backups tbody"), data.items.map((b) => h("tr", { title: b.error || b.sha256 || "" },
    h("td", { text: fmtDateTime(b.started_at) }), h("td", { text: TRIGGER[b.trigger] || b.trigger }),
    h("td", { class: "wrap", text: `${b.host}:${b.path}` }), h("td", { text: megabytes(b.size_bytes) }),
    h("td", { class: b.status === "failed" ? "error" : "", text: RUN_STATUS[b.status] || b.status }))));
  return data.items;
}

async function loadRetention() {
  const data = await api("GET", "/api/operations/retention");
  const p = data.periods;
  $("#retention-periods").textContent = `办结满 ${p.caller_years} 年的工单删除来电人号码和姓名；个人信息查阅记录保留 ${p.pii_reads_months} 个月，登录记录保留 ${p.login_months} 个月；过期的登录会话随时清除。`
    + (data.daily_at ? `每天 ${data.daily_at} 自动执行。` : "未开启自动执行（[retention] daily_at）。");
  const [last] = data.items;
  const box = $("#retention-last");
  if (last) {
    const verb = last.dry_run ? "预演：将删除" : "已删除";
    clear(box, h("p", { text: `最近一次${last.dry_run ? "预演" : "执行"}：${fmtDateTime(last.started_at)}（截至 ${fmtDateTime(last.as_of)}）${RUN_STATUS[last.status] || last.status}` }),
      h("ul", {}, Object.entries(data.labels).map(([kind, label]) => h("li", { dataset: { kind }, text: `${verb}${label} ${number(last.counts[kind] || 0)}` }))));
  } else {
    clear(box, h("p", { class: "muted", text: "尚未执行过。" }));
  }
  clear($("#retention-runs tbody"), data.items.map((r) => h("tr", {},
    h("td", { text: fmtDateTime(r.started_at) }), h("td", { text: r.dry_run ? "预演" : "执行" }),
    h("td", { text: fmtDateTime(r.as_of) }), h("td", { text: number(r.counts.callers) }),
    h("td", { text: number(r.counts.pii_reads) }), h("td", { text: number(r.counts.tokens) }),
    h("td", { class: r.status === "failed" ? "error" : "", text: RUN_STATUS[r.status] || r.status }))));
  return data.items;
}

// Poll a list until its newest run is a new one that has finished.
async function until(load, known) {
  for (let i = 0; i < 600; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const items = await load();
    if (items.length && items[0].id !== known && items[0].status !== "running") return;
  }
}

$("#backup-now").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    const known = (await loadBackups())[0]?.id;
    await api("POST", "/api/operations/backups");
    toast("已开始备份，完成后显示在下方", "ok");
    await until(loadBackups, known);
  } catch (err) {
    toast(err.message, "error");
  } finally {
    button.disabled = false;
  }
});

$("#retention-dry-run").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    const known = (await loadRetention())[0]?.id;
    await api("POST", "/api/operations/retention/dry-run");
    await until(loadRetention, known);
  } catch (err) {
    toast(err.message, "error");
  } finally {
    button.disabled = false;
  }
});

async function init() {
  const [items] = await Promise.all([loadJobs(), loadBackups(), loadRetention()]);
  const running = items.find((j) => RUNNING.has(j.status));
  if (running) watch(running.id);
}
init().catch((err) => toast(err.message, "error"));
