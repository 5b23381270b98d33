// One WebSocket to a Kanta endpoint (docs/realtime.md), resumed after any drop: capped,
// jittered exponential backoff, at once when the browser is back online or the tab visible
// again, and never again after a refusal (4401 not signed in, 4403 not allowed, 4404 gone).
// Every Kanta page's socket is one of these: the forum's, the live room's and /ws/me/.
//
//   const socket = liveSocket("/ws/forum/threads/42/", {
//     since: () => lastId,           // the resume point, asked at each (re)connect; null: none
//     alwaysSince: false,            // true: send ?since=0 too (the page holds up to it)
//     onConnect() {}, onFrame(frame) {}, onOpen() {}, onClose(willRetry) {}, onStop(code) {},
//   });
//   socket.send({ type: "ping" });  // false when not open

const MAX_DELAY_MS = 30000;
export const STOP_CODES = new Set([4401, 4403, 4404]);

export function liveSocket(path, { since, alwaysSince = false, onConnect, onFrame, onOpen, onClose, onStop }) {
  let socket = null;
  let attempt = 0;
  let timer = null;
  let stopped = false;

  function url() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const last = since ? since() : 0;
    const query = last !== null && (alwaysSince || last) ? `?since=${last || 0}` : "";
    return `${scheme}://${window.location.host}${path}${query}`;
  }

  function connect() {
    clearTimeout(timer);
    if (stopped || (socket && socket.readyState <= WebSocket.OPEN)) return;
    if (socket) onClose?.(true); // replacing one that is still closing: its answers will not come
    onConnect?.();
    const ws = new WebSocket(url());
    socket = ws;
    ws.addEventListener("open", () => {
      if (socket !== ws) return;
      attempt = 0;
      onOpen?.();
    });
    ws.addEventListener("message", (event) => {
      if (socket !== ws) return; // a socket replaced while it was closing
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && typeof frame.type === "string") onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;
      socket = null;
      if (STOP_CODES.has(event.code)) {
        stopped = true;
        onClose?.(false);
        onStop?.(event.code);
        return;
      }
      onClose?.(true);
      const ceiling = Math.min(MAX_DELAY_MS, 1000 * 2 ** attempt);
      attempt = Math.min(attempt + 1, 10);
      timer = setTimeout(connect, Math.round(ceiling / 2 + Math.random() * (ceiling / 2)));
    });
  }

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
  connect();
  return {
    get open() {
      return socket?.readyState === WebSocket.OPEN;
    },
    send(frame) {
      if (socket?.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(frame));
      return true;
    },
  };
}
