// The live room (/events/<slug>/live/), live. The page works without this script: the queue,
// the highlighted question and the chat are rendered by the server, and asking, voting,
// chatting and every runner's action are plain POST forms. With it:
//
// - the page listens on /ws/events/<slug>/?since=<last activity id> and keeps the queue (by
//   votes, with a light animation), the answered list, the "being answered now" banner, the
//   chat and the attendee count up to date; new questions and the highlight are announced
//   through a polite live region;
// - while the socket is open the forms are sent over it as frames (a `request` tag matches
//   each answer, `<type>.ok` or `error`, to the form that sent it); votes show at once and
//   are rolled back if the server refuses them; when the socket is not open the forms post
//   as they would without JavaScript;
// - it reconnects with capped, jittered backoff and resumes from the newest activity id it
//   has seen; 4401 asks the member to log in again, 4403 explains and stops, 4404 stops.
//
// Member text only ever reaches the page through textContent on clones of the <template>s
// the server rendered. Strings come from Django's JavaScript catalogue (/jsi18n/).
// Protocol: docs/realtime.md, "Live rooms".

import { liveSocket } from "../../hub/live_socket.js";

const gettext = window.gettext || ((text) => text);
const ngettext = window.ngettext || ((singular, plural, count) => (count === 1 ? singular : plural));
const interpolate =
  window.interpolate ||
  ((format, values, named) =>
    named ? format.replace(/%\((\w+)\)s/g, (_, key) => String(values[key])) : format);

const CHAT_KEEP = 200; // messages kept on the page; older ones are on the server
const NEAR_BOTTOM_PX = 48;
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

// The site's one time style (hub/static/hub/dates.js): "23:26" / "23.26", as the server writes.
function formatTime(iso) {
  return window.KantaDates.time(iso);
}

// --- the room -----------------------------------------------------------------------------------

function liveRoom(root) {
  const slug = root.dataset.slug;
  const username = root.dataset.username || "";
  const runner = root.dataset.runner === "1";
  const signedIn = root.dataset.signedIn === "1";
  const roomOpen = root.dataset.roomOpen === "1";
  let lastId = Number(root.dataset.lastId) || 0;
  let live = false; // session.ready received on the current socket
  // When each question's shown count was read by the server: counts come from every server
  // process and from our own vote answers, and an older one must not replace a newer one.
  const countsAt = new Map();

  function newerCount(id, at) {
    const key = Number(id);
    if (typeof at !== "number") return true;
    if (at < (countsAt.get(key) || 0)) return false;
    countsAt.set(key, at);
    return true;
  }

  const lists = {
    open: root.querySelector("[data-open-list]"),
    answered: root.querySelector("[data-answered-list]"),
    pending: root.querySelector("[data-pending-list]"),
  };
  const counts = {
    open: root.querySelector("[data-open-count]"),
    answered: root.querySelector("[data-answered-count]"),
    pending: root.querySelector("[data-pending-count]"),
  };
  const questionTemplate = root.querySelector("template[data-question-template]");
  const chatTemplate = root.querySelector("template[data-chat-template]");
  const banner = root.querySelector("[data-highlight]");
  const chatList = root.querySelector("[data-chat-list]");
  const chatScroller = root.querySelector("[data-chat-scroller]");
  const chatMore = root.querySelector("[data-chat-more]");
  const askForm = root.querySelector("[data-ask-form]");
  const waitingBox = root.querySelector("[data-own-waiting-box]");
  const waitingList = root.querySelector("[data-own-waiting]");
  const attendeesEl = root.querySelector("[data-attendees]");
  const connectionEl = root.querySelector("[data-connection]");
  const noticeEl = root.querySelector("[data-room-notice]");
  const announcer = root.querySelector("[data-live-announce]");

  const ownIds = new Set(
    [...root.querySelectorAll("[data-question][data-own]")].map((el) => Number(el.dataset.questionId)),
  );
  const myVotes = new Set(
    [...root.querySelectorAll('[data-question] [data-vote-button][aria-pressed="true"]')].map((button) =>
      Number(button.closest("[data-question]").dataset.questionId),
    ),
  );
  let highlightedId = Number(root.querySelector("[data-question][data-highlighted]")?.dataset.questionId) || null;
  const requests = new Map(); // request tag → what sent it
  let requestCounter = 0;
  let mutedTimer = null;

  // --- small helpers ------------------------------------------------------------------------

  function announce(message) {
    if (!announcer || !message) return;
    // Cleared first so the same words twice are read twice.
    announcer.textContent = "";
    window.setTimeout(() => {
      announcer.textContent = message;
    }, 50);
  }

  function setConnection(state) {
    if (!connectionEl) return;
    connectionEl.dataset.state = state;
    const text = {
      connecting: gettext("Connecting…"),
      open: gettext("Live"),
      reconnecting: gettext("Reconnecting…"),
      stopped: gettext("Not live: reload the page to see what is new."),
    }[state];
    const label = connectionEl.querySelector("[data-connection-text]");
    if (label && text) label.textContent = text;
  }

  function showNotice(message, { link = null, tone = "warning" } = {}) {
    if (!noticeEl) return;
    noticeEl.className = `alert alert--${tone} live-room__notice`;
    noticeEl.replaceChildren();
    const text = document.createElement("p");
    text.textContent = message;
    noticeEl.append(text);
    if (link) {
      const paragraph = document.createElement("p");
      const anchor = document.createElement(link.href ? "a" : "button");
      if (link.href) anchor.href = link.href;
      else anchor.type = "button";
      anchor.className = "btn btn--secondary btn--small";
      anchor.textContent = link.label;
      if (link.onClick) anchor.addEventListener("click", link.onClick);
      paragraph.append(anchor);
      noticeEl.append(paragraph);
    }
    noticeEl.hidden = false;
  }

  function hideNotice() {
    if (noticeEl) noticeEl.hidden = true;
  }

  function questionEl(id) {
    const el = document.getElementById(`question-${id}`);
    return el?.matches("[data-question]") ? el : null;
  }

  function setBusy(control, busy) {
    if (!control) return;
    if (busy) control.setAttribute("aria-busy", "true");
    else control.removeAttribute("aria-busy");
  }

  // --- questions ----------------------------------------------------------------------------

  function compareQuestions(a, b) {
    if (a.dataset.state === "answered" && b.dataset.state === "answered") {
      // The latest answer first, as the server renders it.
      return (
        (Date.parse(b.dataset.answered) || 0) - (Date.parse(a.dataset.answered) || 0) ||
        Number(b.dataset.questionId) - Number(a.dataset.questionId)
      );
    }
    return (
      Number(b.dataset.votes) - Number(a.dataset.votes) ||
      (Date.parse(a.dataset.created) || 0) - (Date.parse(b.dataset.created) || 0) ||
      Number(a.dataset.questionId) - Number(b.dataset.questionId)
    );
  }

  // Puts a list in vote order. Items that move glide to their new place (FLIP) unless the
  // reader prefers less motion; whoever was working in a question keeps their focus.
  function reorder(list) {
    if (!list) return;
    const items = [...list.children].filter((item) => item.matches("[data-question]"));
    const sorted = [...items].sort(compareQuestions);
    if (sorted.every((item, index) => item === items[index])) return;
    const animate = !reducedMotion.matches && typeof Element.prototype.animate === "function";
    const before = animate ? new Map(items.map((item) => [item, item.getBoundingClientRect().top])) : null;
    const focused = list.contains(document.activeElement) ? document.activeElement : null;
    for (const item of sorted) list.append(item);
    if (focused && document.activeElement !== focused) focused.focus({ preventScroll: true });
    if (!animate) return;
    for (const item of sorted) {
      const dy = before.get(item) - item.getBoundingClientRect().top;
      if (Math.abs(dy) < 1) continue;
      item.animate([{ transform: `translateY(${dy}px)` }, { transform: "none" }], {
        duration: 260,
        easing: "cubic-bezier(0.2, 0.8, 0.2, 1)",
      });
    }
  }

  function updateCounts() {
    for (const [state, list] of Object.entries(lists)) {
      if (list && counts[state]) counts[state].textContent = String(list.querySelectorAll("[data-question]").length);
    }
  }

  function updateVoteState(el) {
    const id = Number(el.dataset.questionId);
    const votes = Number(el.dataset.votes) || 0;
    const button = el.querySelector("[data-vote-button]");
    const on = el.querySelector("[data-vote-on]");
    const voted = myVotes.has(id);
    if (button) {
      button.setAttribute("aria-pressed", voted ? "true" : "false");
      button.disabled =
        !signedIn || (!roomOpen && !runner) || el.hasAttribute("data-own") || el.dataset.state !== "open";
    }
    if (on) on.value = voted ? "0" : "1";
    const count = el.querySelector("[data-vote-count]");
    if (count) count.textContent = String(votes);
    const label = el.querySelector("[data-vote-label]");
    if (label) label.textContent = interpolate(ngettext("%(votes)s vote", "%(votes)s votes", votes), { votes }, true);
  }

  function setVotes(el, votes) {
    if (!el || Number(el.dataset.votes) === votes) return;
    el.dataset.votes = String(votes);
    updateVoteState(el);
    const count = el.querySelector("[data-vote-count]");
    if (count && !reducedMotion.matches) {
      count.classList.remove("live-vote__count--bumped");
      void count.offsetWidth; // restart the animation
      count.classList.add("live-vote__count--bumped");
    }
  }

  function markOwn(id) {
    ownIds.add(id);
    const el = questionEl(id);
    if (el) {
      el.setAttribute("data-own", "");
      updateVoteState(el);
    }
  }

  function authorName(question) {
    const author = question.author || {};
    if (!author.username) return gettext("Anonymous");
    return author.name || author.username;
  }

  function newQuestionEl(id) {
    const el = questionTemplate.content.firstElementChild.cloneNode(true);
    el.id = `question-${id}`;
    el.dataset.questionId = String(id);
    for (const form of el.querySelectorAll("form")) {
      form.action = form.getAttribute("action").replace("/questions/0/", `/questions/${id}/`);
    }
    const label = el.querySelector("[data-vote-label]");
    if (label) label.id = `question-${id}-votes`;
    el.querySelector("[data-vote-button]")?.setAttribute("aria-describedby", `question-${id}-votes`);
    return el;
  }

  function fillQuestion(el, question) {
    el.dataset.state = question.state;
    el.dataset.votes = String(question.votes ?? 0);
    el.dataset.created = question.created_at || el.dataset.created || "";
    el.dataset.answered = question.answered_at || "";
    el.querySelector("[data-question-body]").textContent = question.body;
    el.querySelector("[data-question-author]").textContent = authorName(question);
    const author = question.author || {};
    el.querySelector("[data-badge-anonymous]").hidden = !(runner && question.anonymous);
    el.querySelector("[data-badge-vip]").hidden = !author.is_vip;
    el.querySelector("[data-badge-owner]").hidden = !author.is_owner;
    const time = el.querySelector("[data-question-time]");
    if (time && question.created_at) {
      time.dateTime = question.created_at;
      time.textContent = formatTime(question.created_at);
    }
    if (ownIds.has(question.id) || (username && author.username === username)) {
      ownIds.add(question.id);
      el.setAttribute("data-own", "");
    }
    updateVoteState(el);
  }

  function removeWaiting(id) {
    waitingList?.querySelector(`[data-waiting-id="${id}"]`)?.remove();
    if (waitingBox && waitingList && !waitingList.children.length) waitingBox.hidden = true;
  }

  function addWaiting(id, body) {
    if (!waitingList || waitingList.querySelector(`[data-waiting-id="${id}"]`)) return;
    const item = document.createElement("li");
    item.id = `waiting-${id}`;
    item.dataset.waitingId = String(id);
    const text = document.createElement("span");
    text.textContent = body;
    const badge = document.createElement("span");
    badge.className = "badge badge--warning";
    badge.textContent = gettext("Waiting for approval");
    item.append(text, " ", badge);
    waitingList.append(item);
    waitingBox.hidden = false;
  }

  function removeQuestion(el) {
    const hadFocus = el.contains(document.activeElement);
    const heading = el.closest("section")?.querySelector("h2");
    el.remove();
    // Whoever was working in it is not dropped to the top of the page.
    if (hadFocus && heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }

  // Whether a question with this text is on its way from this page (its ".ok" not yet here).
  function askedHere(body) {
    const normal = (text) => String(text || "").split(/\s+/).filter(Boolean).join(" ").toLowerCase();
    for (const pending of requests.values()) {
      if (pending.kind === "ask" && normal(pending.body) === normal(body)) return true;
    }
    return false;
  }

  // A question as the server has it now: inserted, moved between the lists, or removed.
  function upsertQuestion(question) {
    if (!question || typeof question.id !== "number") return;
    const id = question.id;
    let el = questionEl(id);
    if (question.state !== "pending") removeWaiting(id);
    if (question.state === "dismissed" || (question.state === "pending" && !runner)) {
      if (el) removeQuestion(el);
      if (highlightedId === id) setHighlight(null);
      updateCounts();
      return;
    }
    const target = lists[question.state];
    if (!target) return;
    const fresh = !el;
    if (fresh) el = newQuestionEl(id);
    if (fresh && askedHere(question.body)) ownIds.add(id); // ours, anonymous, before its ".ok"
    fillQuestion(el, question);
    if (el.parentElement !== target) {
      const hadFocus = el.contains(document.activeElement);
      target.append(el);
      if (hadFocus) el.querySelector("button:not([disabled])")?.focus({ preventScroll: true });
      if (!reducedMotion.matches) {
        el.classList.remove("live-question--arrived");
        void el.offsetWidth;
        el.classList.add("live-question--arrived");
      }
    }
    reorder(target);
    updateCounts();
    if (highlightedId === id) fillBanner(el);
    if (fresh && !el.hasAttribute("data-own")) {
      if (question.state === "open") {
        announce(interpolate(gettext("New question: %(question)s"), { question: question.body }, true));
      } else if (question.state === "pending") {
        announce(interpolate(gettext("New question waiting for approval: %(question)s"), { question: question.body }, true));
      }
    }
  }

  // --- the question being answered now -----------------------------------------------------------

  function fillBanner(el) {
    if (!banner || !el) return;
    banner.querySelector("[data-highlight-body]").textContent = el.querySelector("[data-question-body]").textContent;
    banner.querySelector("[data-highlight-author]").textContent = el.querySelector("[data-question-author]").textContent;
    banner.querySelector("[data-highlight-vip]").hidden = el.querySelector("[data-badge-vip]").hidden;
    banner.querySelector("[data-highlight-owner]").hidden = el.querySelector("[data-badge-owner]").hidden;
    const link = banner.querySelector("[data-highlight-link]");
    if (link) link.href = `#${el.id}`;
  }

  function setHighlight(id) {
    const previous = highlightedId;
    highlightedId = id || null;
    for (const el of root.querySelectorAll("[data-question][data-highlighted]")) {
      if (Number(el.dataset.questionId) !== highlightedId) el.removeAttribute("data-highlighted");
    }
    const el = highlightedId ? questionEl(highlightedId) : null;
    if (!banner) return;
    if (!el) {
      banner.hidden = true;
      delete banner.dataset.questionId;
      return;
    }
    el.setAttribute("data-highlighted", "");
    fillBanner(el);
    const changed = banner.hidden || previous !== highlightedId;
    banner.hidden = false;
    banner.dataset.questionId = String(highlightedId);
    if (changed) {
      announce(
        interpolate(
          gettext("Being answered now: %(question)s"),
          { question: el.querySelector("[data-question-body]").textContent },
          true,
        ),
      );
      if (!reducedMotion.matches) {
        banner.classList.remove("live-highlight--arrived");
        void banner.offsetWidth;
        banner.classList.add("live-highlight--arrived");
      }
    }
  }

  // --- chat -------------------------------------------------------------------------------------

  function nearBottom() {
    if (!chatScroller) return true;
    return chatScroller.scrollHeight - chatScroller.scrollTop - chatScroller.clientHeight < NEAR_BOTTOM_PX;
  }

  function toBottom() {
    if (chatScroller) chatScroller.scrollTop = chatScroller.scrollHeight;
    if (chatMore) chatMore.hidden = true;
  }

  function addChat(message) {
    if (!chatList || !message || typeof message.id !== "number") return;
    if (document.getElementById(`chat-${message.id}`)) return;
    // A reader who scrolled up to read stays where they are; the others follow the chat.
    const follow = nearBottom();
    const item = chatTemplate.content.firstElementChild.cloneNode(true);
    item.id = `chat-${message.id}`;
    item.dataset.messageId = String(message.id);
    const author = message.author || {};
    item.dataset.author = author.username || "";
    item.querySelector("[data-chat-author]").textContent = author.name || author.username || "";
    item.querySelector("[data-chat-body]").textContent = message.body;
    const time = item.querySelector("[data-chat-time]");
    if (time && message.created_at) {
      time.dateTime = message.created_at;
      time.textContent = formatTime(message.created_at);
    }
    for (const form of item.querySelectorAll("form")) {
      form.action = form.getAttribute("action").replace("/chat/0/", `/chat/${message.id}/`);
    }
    const mute = item.querySelector("[data-quick-mute] [data-mute-username]");
    if (mute) mute.value = author.username || "";
    if (author.username && author.username === username) item.classList.add("live-chat__message--own");
    chatList.append(item);
    while (chatList.children.length > CHAT_KEEP) chatList.firstElementChild.remove();
    if (follow || author.username === username) toBottom();
    else if (chatMore) chatMore.hidden = false;
  }

  function deleteChat(messageId) {
    const item = document.getElementById(`chat-${messageId}`);
    if (!item?.matches("[data-chat-message]")) return;
    const hadFocus = item.contains(document.activeElement);
    item.remove();
    if (hadFocus) chatScroller?.focus();
  }

  chatScroller?.addEventListener("scroll", () => {
    if (chatMore && nearBottom()) chatMore.hidden = true;
  });
  chatMore?.addEventListener("click", () => {
    toBottom();
    chatScroller?.focus();
  });

  // --- the room's counters and the member's standing --------------------------------------------

  function setAttendees(count) {
    if (!attendeesEl || typeof count !== "number") return;
    attendeesEl.querySelector("[data-attendees-text]").textContent = interpolate(
      ngettext("%(count)s in the room", "%(count)s in the room", count),
      { count },
      true,
    );
    attendeesEl.hidden = false;
  }

  function showMuted(frame) {
    const until = frame.until ? new Date(frame.until) : null;
    let message = until
      ? interpolate(gettext("A moderator has muted you in this room until %(time)s."), { time: formatTime(frame.until) }, true)
      : gettext("A moderator has muted you in this room.");
    if (frame.reason) message += ` ${interpolate(gettext("Reason: %(reason)s"), { reason: frame.reason }, true)}`;
    showNotice(message);
    clearTimeout(mutedTimer);
    if (until) {
      const wait = until.getTime() - Date.now();
      if (wait > 0 && wait < 2 ** 31 - 1) mutedTimer = setTimeout(hideNotice, wait);
    }
  }

  function stop(code) {
    setConnection("stopped");
    live = false;
    if (code === 4401) {
      showNotice(gettext("You are no longer logged in. Log in again to take part."), {
        link: { href: root.dataset.loginUrl, label: gettext("Log in") },
      });
    } else if (code === 4403) {
      showNotice(gettext("This live room is no longer open to you."), {
        link: { href: root.dataset.eventUrl || "/", label: gettext("Back to the event page") },
      });
    } else {
      showNotice(gettext("This event is no longer here."));
    }
  }

  // --- answers to what this page sent --------------------------------------------------------------

  // A form shows one status at a time: an error replaces the last success and a success
  // the last error, so "Your question is in the queue." never stands beside a refusal.
  function formError(form, message) {
    const slot = form?.querySelector("[data-form-error]");
    if (slot) {
      slot.textContent = message;
      slot.hidden = !message;
    }
    if (message) formStatus(form, "");
  }

  function formStatus(form, message) {
    const slot = form?.querySelector("[data-form-status]");
    if (slot) slot.textContent = message;
    if (message) formError(form, "");
  }

  function questionError(el, message) {
    const slot = el?.querySelector("[data-question-error]");
    if (!slot) {
      announce(message);
      return;
    }
    slot.textContent = message;
    slot.hidden = !message;
  }

  function settle(pending) {
    setBusy(pending.button, false);
    if (pending.el) delete pending.el.dataset.busy;
  }

  function rollbackVote(pending) {
    const el = questionEl(pending.questionId);
    if (pending.voted) myVotes.add(pending.questionId);
    else myVotes.delete(pending.questionId);
    if (el) {
      el.dataset.votes = String(pending.votes);
      updateVoteState(el);
      reorder(el.parentElement);
    }
  }

  function onOk(frame, pending) {
    settle(pending);
    switch (pending.kind) {
      case "ask": {
        const form = pending.form;
        markOwn(frame.id);
        // Not reset(): that would bring back the draft the page was rendered with.
        form.querySelector("[name=body]").value = "";
        const anonymous = form.querySelector("[name=anonymous]");
        if (anonymous) anonymous.checked = false;
        updateCounter(form.querySelector("[data-counted]"));
        formError(form, "");
        if (frame.state === "pending") {
          addWaiting(frame.id, pending.body);
          formStatus(form, gettext("Thanks! Your question waits for a moderator's approval."));
        } else {
          formStatus(form, gettext("Your question is in the queue."));
        }
        break;
      }
      case "vote": {
        if (frame.voted) myVotes.add(frame.question_id);
        else myVotes.delete(frame.question_id);
        const el = questionEl(frame.question_id);
        if (el) {
          questionError(el, "");
          if (newerCount(frame.question_id, frame.at)) el.dataset.votes = String(frame.votes);
          updateVoteState(el);
          reorder(el.parentElement);
        }
        break;
      }
      case "chat":
        pending.form.querySelector("[name=body]").value = "";
        formError(pending.form, "");
        toBottom();
        break;
      case "mute":
        formError(pending.form, "");
        if (!pending.form.matches("[data-quick-mute]")) pending.form.reset();
        formStatus(
          pending.form,
          interpolate(gettext("@%(member)s is muted until %(time)s."), { member: frame.username, time: formatTime(frame.until) }, true),
        );
        announce(interpolate(gettext("@%(member)s is muted until %(time)s."), { member: frame.username, time: formatTime(frame.until) }, true));
        break;
      case "moderate":
        questionError(questionEl(pending.questionId), "");
        break;
      default:
        break;
    }
  }

  function onError(frame, pending) {
    const message = frame.message || gettext("That did not work. Please try again.");
    if (!pending) {
      console.warn("kanta live room:", frame.code, frame.message);
      return;
    }
    settle(pending);
    if (pending.kind === "vote") {
      rollbackVote(pending);
      questionError(questionEl(pending.questionId), message);
    } else if (pending.kind === "moderate" || pending.kind === "delete") {
      if (pending.kind === "moderate") questionError(questionEl(pending.questionId), message);
      else announce(message);
    } else if (pending.form) {
      formError(pending.form, message);
      if (pending.form.matches("[data-quick-mute]")) announce(message);
    }
  }

  // The socket went away with frames unanswered: they may or may not have been applied.
  function failPending() {
    for (const pending of requests.values()) {
      onError({ message: gettext("The connection dropped before the room answered. Please check and try again.") }, pending);
    }
    requests.clear();
  }

  // --- frames from the server ----------------------------------------------------------------------

  function noteId(frame) {
    if (typeof frame.id === "number" && frame.id > lastId) lastId = frame.id;
  }

  function handle(frame) {
    const pending = frame.request ? requests.get(frame.request) : undefined;
    if (pending) requests.delete(frame.request);
    if (frame.type === "error") {
      onError(frame, pending);
      return;
    }
    if (pending && frame.type.endsWith(".ok")) {
      onOk(frame, pending);
      return;
    }
    switch (frame.type) {
      case "session.ready":
        lastId = Math.max(lastId, Number(frame.last_id) || 0);
        myVotes.clear();
        for (const id of frame.my_votes || []) myVotes.add(Number(id));
        for (const el of root.querySelectorAll("[data-question]")) {
          const count = frame.votes?.[el.dataset.questionId];
          if (typeof count === "number" && newerCount(el.dataset.questionId, frame.votes_at)) {
            el.dataset.votes = String(count);
          }
          updateVoteState(el);
        }
        for (const list of Object.values(lists)) reorder(list);
        setHighlight(frame.highlighted);
        setAttendees(frame.attendees);
        if (frame.truncated) {
          showNotice(gettext("A lot happened while you were away: reload the page to see all of it."), {
            tone: "info",
            link: { label: gettext("Reload"), onClick: () => window.location.reload() },
          });
        }
        live = true;
        setConnection("open");
        break;
      case "question.created":
      case "question.updated":
        noteId(frame);
        if (frame.question) {
          upsertQuestion(frame.question);
          if ("highlighted" in frame) setHighlight(frame.highlighted);
        } else if (frame.votes) {
          const touched = new Set();
          for (const [id, count] of Object.entries(frame.votes)) {
            const el = questionEl(id);
            if (!el || typeof count !== "number" || el.dataset.busy) continue;
            if (!newerCount(id, frame.at)) continue;
            setVotes(el, count);
            touched.add(el.parentElement);
          }
          for (const list of touched) reorder(list);
        }
        break;
      case "chat.message":
        noteId(frame);
        addChat(frame.message);
        break;
      case "chat.deleted":
        noteId(frame);
        deleteChat(frame.message_id);
        break;
      case "room.attendees":
        setAttendees(frame.count);
        break;
      case "room.muted":
        showMuted(frame);
        break;
      case "access.revoked":
        showNotice(gettext("This live room is no longer open to you."));
        break;
      default:
        break;
    }
  }

  // --- forms: frames while the socket is open, plain POSTs otherwise ----------------------------------

  function frameFor(form, submitter) {
    const item = form.closest("[data-question]");
    const questionId = item ? Number(item.dataset.questionId) : null;
    if (form.matches("[data-ask-form]")) {
      const body = form.querySelector("[name=body]").value;
      return {
        frame: { type: "question.ask", body, anonymous: Boolean(form.querySelector("[name=anonymous]")?.checked) },
        pending: { kind: "ask", form, body, button: submitter },
      };
    }
    if (form.matches("[data-vote-form]") && questionId) {
      if (item.dataset.busy) return { frame: null };
      const voted = myVotes.has(questionId);
      const votes = Number(item.dataset.votes) || 0;
      // Shown at once; the answer (or an error) settles it.
      if (voted) myVotes.delete(questionId);
      else myVotes.add(questionId);
      item.dataset.votes = String(Math.max(0, votes + (voted ? -1 : 1)));
      item.dataset.busy = "1";
      updateVoteState(item);
      questionError(item, "");
      return {
        frame: { type: voted ? "question.unvote" : "question.vote", question_id: questionId },
        pending: { kind: "vote", questionId, voted, votes, el: item, button: submitter },
      };
    }
    if (form.matches("[data-moderate-form]") && questionId) {
      return {
        frame: { type: `question.${form.dataset.action}`, question_id: questionId },
        pending: { kind: "moderate", questionId, form, button: submitter },
      };
    }
    if (form.matches("[data-chat-form]")) {
      return {
        frame: { type: "chat.message", body: form.querySelector("[name=body]").value },
        pending: { kind: "chat", form, button: submitter },
      };
    }
    if (form.matches("[data-chat-delete-form]")) {
      const message = form.closest("[data-chat-message]");
      return {
        frame: { type: "chat.delete", message_id: Number(message?.dataset.messageId) },
        pending: { kind: "delete", form, button: submitter },
      };
    }
    if (form.matches("[data-mute-form]")) {
      return {
        frame: {
          type: "member.mute",
          username: form.querySelector("[name=username]").value.trim().replace(/^@/, ""),
          minutes: Number.parseInt(form.querySelector("[name=minutes]").value, 10) || 15,
          reason: form.querySelector("[name=reason]")?.value || "",
        },
        pending: { kind: "mute", form, button: submitter },
      };
    }
    return null;
  }

  root.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !socket?.open || !live) return; // posts as without JS
    const submitter = event.submitter || form.querySelector("button[type=submit]");
    if (submitter?.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      return;
    }
    const built = frameFor(form, submitter);
    if (!built) return;
    event.preventDefault();
    if (!built.frame) return;
    const request = `r${++requestCounter}`;
    if (!socket.send({ ...built.frame, request })) {
      // Closed in between: undo what was shown and post the form instead.
      if (built.pending.kind === "vote") {
        rollbackVote(built.pending);
        settle(built.pending);
      }
      form.submit();
      return;
    }
    requests.set(request, built.pending);
    setBusy(built.pending.button, true);
    if (built.pending.form) {
      formError(built.pending.form, "");
      formStatus(built.pending.form, "");
    }
  });

  // Ctrl/Cmd + Enter sends the question; the character counter follows the text.
  function updateCounter(textarea) {
    if (!textarea) return;
    const counter = textarea.form?.querySelector("[data-counter]");
    if (!counter) return;
    const limit = Number(counter.dataset.limit) || 300;
    const used = textarea.value.length;
    counter.textContent = interpolate(gettext("%(used)s/%(limit)s"), { used, limit }, true);
    counter.classList.toggle("live-counter--near", used > limit * 0.9);
  }
  const counted = askForm?.querySelector("[data-counted]");
  counted?.addEventListener("input", () => updateCounter(counted));
  counted?.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      askForm.requestSubmit();
    }
  });
  updateCounter(counted);

  // --- start ------------------------------------------------------------------------------------

  for (const el of root.querySelectorAll("[data-question]")) updateVoteState(el);
  for (const time of root.querySelectorAll("[data-question-time], [data-chat-time]")) {
    const text = formatTime(time.getAttribute("datetime"));
    if (text) time.textContent = text;
  }
  toBottom();
  setConnection("connecting");
  const socket = liveSocket(`/ws/events/${slug}/`, {
    // Always with ?since=, 0 included: the page holds everything up to that id, and what
    // happened between rendering it and connecting comes as the backlog.
    alwaysSince: true,
    since: () => lastId,
    onFrame: handle,
    onOpen: () => setConnection("connecting"),
    onClose: (retrying) => {
      live = false;
      failPending();
      if (retrying) setConnection("reconnecting");
    },
    onStop: stop,
  });
}

const roomRoot = document.querySelector("[data-live-room]");
if (roomRoot) liveRoom(roomRoot);
