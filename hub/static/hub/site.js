// Site-wide behaviour: the phone menu, dropdown menus and toasts.
// Everything here is progressive enhancement; every page works without it.

const gettext = window.gettext || ((text) => text);

const toggle = document.querySelector("[data-nav-toggle]");
const nav = document.getElementById("site-nav");
if (toggle && nav) {
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("site-nav--open", open);
  });
}

// <details> menus: close on Escape and on a click elsewhere, like native menus do.
const menus = [...document.querySelectorAll("details.menu")];
document.addEventListener("click", (event) => {
  for (const menu of menus) {
    if (menu.open && !menu.contains(event.target)) menu.open = false;
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of menus) {
    if (menu.open) {
      menu.open = false;
      menu.querySelector("summary")?.focus();
    }
  }
});

// Toasts: any module dispatches `kanta:toast` with {title, body, url}; they need no import.
const region = document.querySelector("[data-toasts]");
const TOAST_MS = 8000;

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

function dismiss(toast) {
  if (!toast.isConnected || toast.classList.contains("toast--leaving")) return;
  if (reducedMotion.matches) {
    toast.remove();
    return;
  }
  toast.classList.add("toast--leaving");
  toast.addEventListener("animationend", () => toast.remove(), { once: true });
  setTimeout(() => toast.remove(), 600); // in case the animation never runs
}

function showToast({ title, body = "", url = "", tone = "" }) {
  if (!region || !title) return;
  const toast = document.createElement("div");
  toast.className = tone ? `toast toast--${tone}` : "toast";
  const heading = document.createElement("p");
  heading.className = "toast__title";
  heading.textContent = title;
  toast.append(heading);
  if (body) {
    const text = document.createElement("p");
    text.className = "toast__body";
    text.textContent = body;
    toast.append(text);
  }
  if (url && url.startsWith("/")) {
    const link = document.createElement("a");
    link.className = "toast__link";
    link.href = url;
    link.textContent = gettext("Open");
    toast.append(link);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast__close";
  close.setAttribute("aria-label", gettext("Dismiss"));
  close.textContent = "×";
  close.addEventListener("click", () => dismiss(toast));
  toast.append(close);
  region.append(toast);
  // Hovering or focusing a toast keeps it: people read at different speeds.
  let timer = setTimeout(() => dismiss(toast), TOAST_MS);
  const hold = () => clearTimeout(timer);
  const release = () => {
    clearTimeout(timer);
    timer = setTimeout(() => dismiss(toast), TOAST_MS);
  };
  toast.addEventListener("mouseenter", hold);
  toast.addEventListener("focusin", hold);
  toast.addEventListener("mouseleave", release);
  toast.addEventListener("focusout", release);
}

document.addEventListener("kanta:toast", (event) => showToast(event.detail || {}));

// Logging out of a shared device leaves none of the member's unsent forum drafts behind
// (community/static/community/forum/composer.js keeps them under this prefix).
const DRAFT_PREFIX = "kanta.forum.draft:";
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !new URL(form.action, location.href).pathname.endsWith("/logout/")) return;
  document.dispatchEvent(new CustomEvent("kanta:logout"));
  try {
    for (const key of Object.keys(window.localStorage)) {
      if (key.startsWith(DRAFT_PREFIX)) window.localStorage.removeItem(key);
    }
  } catch {
    // Storage blocked: there are no drafts to clear.
  }
});
