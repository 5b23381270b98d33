// The signed-in member's socket, /ws/me/: one per tab, resumed after any drop.
//
// Protocol (docs/realtime.md): the server sends `session.ready` {unread, last_id} after
// any missed `notification.created` frames; each notification frame carries its id, and
// we reconnect with ?since=<last id seen> so nothing is missed or shown twice.

const gettext = window.gettext || ((text) => text);
const STORAGE_KEY = "kanta.me.lastId";
const MAX_DELAY_MS = 30000;
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;

const countEl = document.querySelector("[data-bell-count]");
const statusEl = document.querySelector("[data-socket-status]");
const listEl = document.querySelector("[data-notification-list]");
const statusTextEl = document.querySelector("[data-socket-status-text]");
const STATUS_TEXT = {
  connecting: gettext("Live updates connecting"),
  open: gettext("Live updates on"),
  closed: gettext("Live updates off, reconnecting"),
};

let socket = null;
let attempt = 0;
let retryTimer = null;
let stopped = false;
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
  const title = document.createElement(notification.url ? "a" : "span");
  title.className = "notification__title";
  title.textContent = notification.title;
  if (notification.url) title.href = notification.url;
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
  time.textContent = gettext("just now");
  item.append(time);
  listEl.prepend(item);
}

function handle(frame) {
  switch (frame.type) {
    case "session.ready":
      setUnread(frame.unread);
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
          detail: { title: frame.notification.title, body: frame.notification.body, url: frame.notification.url },
        }),
      );
      break;
    case "notification.read":
      setUnread(frame.unread);
      for (const id of frame.ids || []) {
        listEl?.querySelector(`[data-notification-id="${id}"]`)?.classList.remove("notification--unread");
      }
      break;
    case "error":
      console.warn("kanta /ws/me/:", frame.code, frame.message);
      break;
    default:
      break;
  }
  document.dispatchEvent(new CustomEvent("kanta:me", { detail: frame }));
}

function socketUrl() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const since = lastId === null ? "" : `?since=${lastId}`;
  return `${scheme}://${window.location.host}/ws/me/${since}`;
}

function connect() {
  clearTimeout(retryTimer);
  if (stopped || (socket && socket.readyState <= WebSocket.OPEN)) return;
  setStatus("connecting");
  socket = new WebSocket(socketUrl());
  socket.addEventListener("open", () => {
    attempt = 0;
    setStatus("open");
  });
  socket.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame && typeof frame.type === "string") handle(frame);
  });
  socket.addEventListener("close", (event) => {
    socket = null;
    setStatus("closed");
    if (event.code === CLOSE_UNAUTHENTICATED || event.code === CLOSE_FORBIDDEN) {
      // Signed out in another tab, or not allowed: retrying would only be refused again.
      stopped = true;
      if (statusTextEl) statusTextEl.textContent = gettext("Live updates are off. Reload the page to sign in again.");
      return;
    }
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  // Capped exponential backoff with full jitter, so a server restart is not met by every
  // tab reconnecting in the same instant.
  const ceiling = Math.min(MAX_DELAY_MS, 1000 * 2 ** attempt);
  const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  attempt = Math.min(attempt + 1, 10);
  retryTimer = setTimeout(connect, delay);
}

// Come back at once when the network or the tab does, instead of waiting out the backoff.
window.addEventListener("online", () => {
  attempt = 0;
  connect();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && !socket) {
    attempt = 0;
    connect();
  }
});

window.kantaMe = {
  markRead(ids) {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "notification.read", ids }));
  },
};

connect();
