// 话务台: while the caller is on the line, their open tickets and how far each has got
// ("我上周反映的事办得怎么样了"): GET /api/search/tickets?phone=…&state=open (the hotline centre only).
import { api, h, clear, debounce, countdown, fmtDateTime, stateBadge, actionLabel } from "./common.js";

const PHONE = /^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{5,8})$/;

export function progressLine(t) {
  return h("li", { class: "caller-ticket", dataset: { id: t.id } },
    h("div", { class: "row-top" },
      h("a", { class: "mono", href: `/tickets/${t.id}`, target: "_blank", rel: "noopener", text: t.number }),
      stateBadge(t.state, t.state_label),
      t.overdue ? h("span", { class: "badge overdue", text: "超期" }) : null,
      t.supervised ? h("span", { class: "badge supervised", text: "督办" }) : null,
      t.reopen_count ? h("span", { class: "badge reopen", text: "重办" }) : null,
      t.next_due_at ? countdown(t.next_due_at, null, t.state === "suspended") : null),
    h("div", { class: "summary", text: t.summary }),
    h("div", { class: "progress-line muted", text: [
      `${fmtDateTime(t.created_at)} 受理`,
      t.holder_unit_name ? `现由${t.holder_unit_name}办理` : null,
      t.last_action ? `最近：${actionLabel(t.last_action)} ${fmtDateTime(t.last_at)}` : null,
    ].filter(Boolean).join(" · ") }));
}

export function watchCaller(input, panel) {
  const body = panel.querySelector(".body");
  let asked = 0; // answers to older look-ups are dropped
  const idle = () => {
    body.classList.add("muted");
    clear(body, "输入来电号码后显示");
  };
  const look = async () => {
    const number = input.value.trim();
    const mine = ++asked;
    if (!PHONE.test(number)) return idle();
    try {
      const query = new URLSearchParams({ phone: number, state: "open", limit: "20" });
      const data = await api("GET", `/api/search/tickets?${query}`);
      if (mine !== asked) return;
      body.classList.toggle("muted", !data.items.length);
      clear(body, data.items.length
        ? [h("ul", { class: "mini caller-tickets" }, data.items.map(progressLine)),
          data.more ? h("a", { href: `/search?phone=${encodeURIComponent(number)}&state=open`, target: "_blank", text: "更多…" }) : null]
        : "该号码没有未办结的工单");
    } catch (err) {
      if (mine === asked) clear(body, h("p", { class: "error", text: err.message }));
    }
  };
  input.addEventListener("input", debounce(look, 300));
  input.form.addEventListener("reset", () => { asked++; idle(); });
}
