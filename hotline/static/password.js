// 修改密码: every user's own password; after a temporary one, on to the page the user was going to.
import { api, boot, toast } from "./common.js";

const form = document.getElementById("password-form");
const error = document.getElementById("password-error");

function target() {
  const next = new URLSearchParams(location.search).get("next") || "";
  const safe = next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/account/password");
  return safe ? next : boot.home || "/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  if (form.new_password.value !== form.repeat_password.value) {
    error.textContent = "两次输入的新密码不一致";
    error.hidden = false;
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await api("POST", "/api/me/password", {
      current_password: form.current_password.value,
      new_password: form.new_password.value,
    });
    toast("密码已修改", "ok");
    location.assign(target());
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});
