// Live lists (承办、派单、回访、网格): the /ws/inbox socket says when to re-read a list, within a second of an
// assignment, urge, order, warning or return; an unread count in the tab title, and, when the user opts in,
// a sound and a desktop notification. The socket carries the board's events, filtered to the user's
// unit subtree by the server; the lists themselves still come from the JSON API.
// Needs /realtime/client.js (connectBoard) loaded before it.
import { boot, h, toast } from "./common.js";

const me = boot.user;
const EV = boot.labels.events;
// What a unit is told about: something new lands on it, or is asked of it.
export const NOTIFY = new Set([
  EV.TICKET_DISPATCHED, EV.TICKET_QUEUED, EV.TICKET_URGED, EV.SUPERVISION_ORDER, EV.SLA_WARNING,
  EV.SLA_OVERDUE, EV.TICKET_RETURNED, EV.TICKET_SENT_BACK, EV.TICKET_REOPENED,
]);
const TEXT = {
  [EV.TICKET_COMPLETED]: "办结待审", [EV.TICKET_REVIEWED]: "待回访",
  [EV.TICKET_DISPATCHED]: "新派工单", [EV.TICKET_QUEUED]: "待派单", [EV.TICKET_URGED]: "催办",
  [EV.SUPERVISION_ORDER]: "督办单", [EV.SLA_WARNING]: "即将超时", [EV.SLA_OVERDUE]: "已超时",
  [EV.TICKET_RETURNED]: "退单", [EV.TICKET_SENT_BACK]: "退回重办", [EV.TICKET_REOPENED]: "重办",
  [EV.TICKET_CO_UNITS]: "新协办工单",
};
const SOUND_KEY = "hotline.live.sound";
const NOTIFY_KEY = "hotline.live.notify";

// The default: something to be told about, on a ticket my unit holds now, or naming my unit (an order, an
// alert's clock); or a ticket my unit is named to assist with (协办).
export function concernsMyUnit(event) {
  const p = event.payload || {};
  if (event.event_type === EV.TICKET_CO_UNITS) return (p.co_unit_ids || []).includes(me.unit_id);
  return NOTIFY.has(event.event_type) && (p.holder_unit_id === me.unit_id || p.unit_id === me.unit_id);
}

function beep() {
  try {
    const audio = new (window.AudioContext || window.webkitAudioContext)();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.08;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.18);
    tone.onended = () => audio.close();
  } catch (_) { /* no audio device: the title still counts */ }
}

function desktop(title, body, tag) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try { new Notification(title, { body, tag }); } catch (_) { /* some browsers allow it only from a service worker */ }
}

// startLive({list, refresh, mount, isMine}): `refresh()` re-reads the page's list (a promise); `list` is the
// <ul> (or an array of them) whose rows (data-id) get marked 新 until opened; `mount` is where the 实时 badge and the opt-in
// switches go; `isMine(event)` picks what counts as unread (default: concernsMyUnit).
export function startLive({ list, refresh, mount, isMine = concernsMyUnit }) {
  const lists = [].concat(list || []);
  const baseTitle = document.title;
  const unread = new Set();
  let timer = null;
  let running = null;
  let again = false;

  const badge = h("span", { class: "conn live-conn", dataset: { status: "connecting" }, text: "连接中" });
  const sound = h("input", { type: "checkbox", id: "live-sound" });
  sound.checked = localStorage.getItem(SOUND_KEY) === "1";
  sound.addEventListener("change", () => localStorage.setItem(SOUND_KEY, sound.checked ? "1" : "0"));
  const notifyButton = h("button", { type: "button", class: "small", id: "live-notify" });
  function paintNotify() {
    const on = localStorage.getItem(NOTIFY_KEY) === "1" && "Notification" in window && Notification.permission === "granted";
    notifyButton.textContent = on ? "桌面通知：开" : "桌面通知：关";
    notifyButton.setAttribute("aria-pressed", on ? "true" : "false");
  }
  notifyButton.addEventListener("click", async () => {
    if (!("Notification" in window)) return toast("此浏览器不支持桌面通知", "error");
    if (localStorage.getItem(NOTIFY_KEY) === "1" && Notification.permission === "granted") {
      localStorage.setItem(NOTIFY_KEY, "0");
    } else {
      const permission = await Notification.requestPermission();
      localStorage.setItem(NOTIFY_KEY, permission === "granted" ? "1" : "0");
      if (permission !== "granted") toast("浏览器未允许桌面通知", "error");
    }
    paintNotify();
  });
  paintNotify();
  if (mount) {
    mount.append(h("span", { class: "live-bar" }, badge,
      h("label", { class: "live-sound" }, sound, "提示音"), notifyButton));
  }

  function paint() {
    document.title = unread.size ? `(${unread.size}) ${baseTitle}` : baseTitle;
    for (const row of lists.flatMap((l) => Array.from(l.querySelectorAll("[data-id]")))) {
      row.classList.toggle("unread", unread.has(Number(row.dataset.id)));
    }
  }
  for (const list of lists) {
    // the page re-renders its list as it likes; the marks are put back after every render
    new MutationObserver(() => paint()).observe(list, { childList: true });
    list.addEventListener("click", (e) => {
      const row = e.target.closest("[data-id]");
      if (row && unread.delete(Number(row.dataset.id))) paint();
    });
  }

  // One re-read at a time, 150 ms after the first of a burst of events; a burst during a re-read causes one more.
  async function reread() {
    if (running) { again = true; return; }
    // only marks made before this re-read began may be dropped for a missing row: a ticket marked while it
    // ran (its event came during the request) may be newer than the list it read, and the next re-read shows it
    const markedBefore = new Set(unread);
    running = Promise.resolve(refresh()).catch(() => {});
    await running;
    running = null;
    if (lists.length) {
      const rows = lists.flatMap((l) => Array.from(l.querySelectorAll("[data-id]")));
      const present = new Set(rows.map((r) => Number(r.dataset.id)));
      for (const id of markedBefore) if (!present.has(id)) unread.delete(id);
    }
    paint();
    if (again) { again = false; schedule(); }
  }
  function schedule() {
    if (timer) return;
    timer = setTimeout(() => { timer = null; reread(); }, 150);
  }

  function onEvent(event) {
    schedule();
    if (!isMine(event)) return;
    const p = event.payload || {};
    if (p.ticket_id) unread.add(p.ticket_id);
    paint();
    const what = `${TEXT[event.event_type] || "工单动态"} ${p.number || ""}`.trim();
    toast(what, "info");
    if (sound.checked) beep();
    if (localStorage.getItem(NOTIFY_KEY) === "1") desktop("12345 热线：" + what, p.state_label || "", String(p.ticket_id || ""));
  }

  const connection = window.connectBoard("/ws/inbox", {
    onSnapshot: () => schedule(),
    onEvent,
    onStatus: (status) => {
      badge.dataset.status = status;
      badge.textContent = status === "live" ? "实时" : status === "unauthorized" ? "未登录" : "重连中";
    },
  });
  return { connection, unread, paint };
}
