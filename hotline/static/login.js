import { api } from "./common.js";

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const homeOf = JSON.parse(document.getElementById("home-of").textContent);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const data = await api("POST", "/api/auth/login", {
      username: form.username.value.trim(),
      password: form.password.value,
      kind: "session",
    });
    const home = form.dataset.next || homeOf[data.user.role] || "/";
    // a temporary password (new user, reset) is changed before anything else
    location.assign(data.user.must_change_password ? "/account/password?next=" + encodeURIComponent(home) : home);
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
    form.password.select();
  } finally {
    button.disabled = false;
  }
});
