// The signed-in member's socket, /ws/me/: one per tab, resumed after any drop
// (hub/static/hub/live_socket.js reconnects it).
//
// Protocol (docs/realtime.md): the server sends `session.ready` {unread, last_id} after
// any missed `notification.created` frames; each notification frame carries its id, and
// we reconnect with ?since=<last id seen> so nothing is missed or shown twice.

import { liveSocket } from "../hub/live_socket.js";

const gettext = window.gettext || ((text) => text);
const STORAGE_KEY = "kanta.me.lastId";

const countEl = document.querySelector("[data-bell-count]");
const statusEl = document.querySelector("[data-socket-status]");
const listEl = document.querySelector("[data-notification-list]");
const statusTextEl = document.querySelector("[data-socket-status-text]");
const STATUS_TEXT = {
  connecting: gettext("Live updates connecting"),
  open: gettext("Live updates on"),
  closed: gettext("Live updates off, reconnecting"),
};

let lastId = readLastId();

function readLastId() {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  const value = raw === null ? NaN : Number.parseInt(raw, 10);
  return Number.isFinite(value) ? value : null;
}

function rememberId(id) {
  if (typeof id !== "number") return;
  if (lastId === null || id > lastId) {
    lastId = id;
    sessionStorage.setItem(STORAGE_KEY, String(id));
  }
}

function setStatus(state) {
  if (!statusEl) return;
  statusEl.dataset.state = state;
  document.documentElement.dataset.live = state;
  if (statusTextEl) statusTextEl.textContent = STATUS_TEXT[state] || "";
}

function setUnread(count) {
  if (!countEl || typeof count !== "number") return;
  countEl.textContent = count > 99 ? "99+" : String(count);
  countEl.hidden = count === 0;
}

function prependToList(notification) {
  if (!listEl) return;
  const item = document.createElement("li");
  item.className = "notification notification--unread notification--new";
  item.dataset.notificationId = String(notification.id);
  const body = document.createElement("div");
  body.className = "notification__body";
  const unreadLabel = document.createElement("span");
  unreadLabel.className = "visually-hidden";
  unreadLabel.dataset.unreadLabel = "";
  unreadLabel.textContent = `${gettext("Unread:")} `;
  body.append(unreadLabel);
  const title = document.createElement(notification.url ? "a" : "span");
  title.className = "notification__title";
  title.textContent = notification.title;
  // open_url marks it read (in every tab) and redirects to notification.url.
  if (notification.url) title.href = notification.open_url;
  body.append(title);
  if (notification.body) {
    const text = document.createElement("p");
    text.className = "notification__text";
    text.textContent = notification.body;
    body.append(text);
  }
  item.append(body);
  const time = document.createElement("time");
  time.className = "notification__time muted small";
  time.dateTime = notification.created_at;
  time.textContent = window.KantaDates.relative(notification.created_at);
  item.append(time);
  listEl.prepend(item);
}

function showRead(item) {
  if (!item) return;
  item.classList.remove("notification--unread");
  for (const part of item.querySelectorAll("[data-unread-label], [data-mark-read]")) part.remove();
}

function showAllRead() {
  if (!listEl) return;
  for (const item of listEl.querySelectorAll(".notification--unread")) showRead(item);
  for (const form of document.querySelectorAll("[data-read-all]")) form.hidden = true;
}

function handle(frame) {
  switch (frame.type) {
    case "session.ready":
      setUnread(frame.unread);
      // Reads made while this socket was away (or the channel layer was down) sent no
      // frame here; with nothing unread left, every row on the page is read.
      if (frame.unread === 0) showAllRead();
      // A fresh tab starts from now; older notifications are on the notifications page.
      if (lastId === null) rememberId(frame.last_id);
      break;
    case "notification.created":
      if (lastId !== null && frame.id <= lastId) return; // already shown in this tab
      rememberId(frame.id);
      setUnread(frame.unread);
      prependToList(frame.notification);
      document.dispatchEvent(
        new CustomEvent("kanta:toast", {
          detail: {
            title: frame.notification.title,
            body: frame.notification.body,
            // Opening from the toast marks it read too; nowhere to go means no link.
            url: frame.notification.url ? frame.notification.open_url : "",
          },
        }),
      );
      break;
    case "notification.read":
      setUnread(frame.unread);
      for (const id of frame.ids || []) showRead(listEl?.querySelector(`[data-notification-id="${id}"]`));
      if (frame.unread === 0) showAllRead();
      break;
    case "error":
      console.warn("kanta /ws/me/:", frame.code, frame.message);
      break;
    default:
      break;
  }
  document.dispatchEvent(new CustomEvent("kanta:me", { detail: frame }));
}

const socket = liveSocket("/ws/me/", {
  // A tab that has seen an id (0 included: "none yet") resumes from it; a new tab (null)
  // connects without ?since= and starts from now.
  since: () => lastId,
  alwaysSince: true,
  onConnect: () => setStatus("connecting"),
  onOpen: () => setStatus("open"),
  onClose: () => setStatus("closed"),
  onStop: () => {
    // Signed out in another tab, or not allowed: retrying would only be refused again.
    if (statusTextEl) statusTextEl.textContent = gettext("Live updates are off. Reload the page to sign in again.");
  },
  onFrame: handle,
});

window.kantaMe = {
  markRead(ids) {
    socket.send({ type: "notification.read", ids });
  },
};
