// The forum, live. Every page works without this script (plain forms, server-rendered posts);
// with it:
//
// - a thread page (/forum/t/<id>/) listens on /ws/forum/threads/<id>/ and shows new posts
//   (rendered by the server, the author's own too, each once), edits, hidden posts, reaction
//   counts, the thread's locked / pinned / solved state and "N reading, M replying"; replies,
//   reactions, accepting and watching are sent with fetch instead of reloading the page;
// - the forum index and category pages listen on /ws/forum/ and /ws/forum/c/<slug>/ for new
//   threads and activity.
//
// Protocol: docs/realtime.md. Reconnects with capped, jittered backoff and resumes with
// ?since=<last post id seen>; stops on 4401 / 4403 / 4404.

import { liveSocket } from "../../hub/live_socket.js";
import { composerFor } from "./composer.js";

const gettext = window.gettext || ((text) => text);
const ngettext = window.ngettext || ((singular, plural, count) => (count === 1 ? singular : plural));
const interpolate =
  window.interpolate ||
  ((format, values, named) =>
    named ? format.replace(/%\((\w+)\)s/g, (_, key) => String(values[key])) : format);

const REPLYING_EVERY_MS = 8000;

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function announce(message) {
  const region = document.querySelector("[data-live-announce]");
  if (region && message) region.textContent = message;
}

async function postForm(url, data) {
  const response = await fetch(url, {
    method: "POST",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: data,
    credentials: "same-origin",
  });
  const body = await response.json().catch(() => ({}));
  return { response, body };
}

// --- the thread page ----------------------------------------------------------------------------

function threadPage(root) {
  const viewer = JSON.parse(document.getElementById("forum-viewer")?.textContent || "{}");
  const postsEl = root.querySelector("[data-posts]");
  const moreEl = root.querySelector("[data-more]");
  const presenceEl = root.querySelector("[data-presence]");
  const replyForm = root.querySelector("[data-reply-form]");
  const replyBody = replyForm?.querySelector("textarea[name=body]");
  const composer = composerFor(replyForm);
  const reacted = viewer.reacted || {};
  let lastPostId = viewer.lastPostId || 0;
  let readTo = 0;
  let socket = null;

  // Per-viewer state on server-rendered posts (they carry none of their own).
  function applyViewer(article) {
    const own = viewer.id && Number(article.dataset.authorId) === viewer.id;
    const mine = reacted[article.dataset.postId] || [];
    for (const button of article.querySelectorAll("[data-reaction]")) {
      if (!viewer.id) continue;
      button.setAttribute("aria-pressed", mine.includes(button.dataset.reaction) ? "true" : "false");
      if (own) button.setAttribute("aria-disabled", "true");
    }
    const token = csrfToken();
    for (const form of article.querySelectorAll("form[method=post]")) {
      if (token && !form.querySelector("input[name=csrfmiddlewaretoken]")) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = "csrfmiddlewaretoken";
        input.value = token;
        form.prepend(input);
      }
    }
  }

  function applyAccepted(acceptedId) {
    for (const article of postsEl.querySelectorAll(".forum-post")) {
      article.classList.toggle("forum-post--accepted", Number(article.dataset.postId) === acceptedId);
    }
    root.classList.toggle("forum-thread--solved", Boolean(acceptedId));
  }

  function applyThread(thread) {
    if (!thread) return;
    const title = root.querySelector("[data-thread-title]");
    if (title && thread.title) title.textContent = thread.title;
    const flags = { pinned: thread.is_pinned, locked: thread.is_locked, solved: thread.is_solved };
    for (const [name, on] of Object.entries(flags)) {
      const flag = root.querySelector(`[data-flag="${name}"]`);
      if (flag) flag.hidden = !on;
    }
    root.classList.toggle("forum-thread--locked", Boolean(thread.is_locked));
    if (thread.is_locked && !viewer.moderator && replyForm && !replyForm.hidden) {
      replyForm.hidden = true;
      let note = root.querySelector("[data-reply-refusal]");
      if (!note) {
        note = document.createElement("p");
        note.className = "alert alert--info forum-reply__refusal";
        note.dataset.replyRefusal = "";
        note.dataset.liveLock = "";
        replyForm.after(note);
      }
      note.textContent = gettext("This thread is locked: no new replies.");
      root.classList.remove("forum-thread--can-reply");
    } else if (!thread.is_locked && replyForm?.hidden) {
      // Unlocked again: the form this page was rendered with comes back.
      replyForm.hidden = false;
      root.querySelector("[data-live-lock]")?.remove();
      root.classList.add("forum-thread--can-reply");
    }
    applyAccepted(thread.accepted_post_id);
  }

  function showPresence(counts) {
    if (!presenceEl || !counts) return;
    const reading = counts.reading || 0;
    const replying = counts.replying || 0;
    if (reading + replying === 0) {
      presenceEl.hidden = true;
      return;
    }
    const readingText = interpolate(ngettext("%(count)s reading", "%(count)s reading", reading), { count: reading }, true);
    const replyingText = interpolate(
      ngettext("%(count)s replying", "%(count)s replying", replying),
      { count: replying },
      true,
    );
    presenceEl.textContent = replying ? `${readingText}, ${replyingText}` : readingText;
    presenceEl.hidden = false;
  }

  function beaconRead(number) {
    if (!viewer.id || number <= readTo) return;
    readTo = number;
    if (document.visibilityState !== "visible") return;
    const data = new FormData();
    data.append("number", String(number));
    data.append("csrfmiddlewaretoken", csrfToken());
    navigator.sendBeacon?.(root.dataset.readUrl, data);
  }

  function insertPost(post, { fromSocket = true } = {}) {
    if (!post || typeof post.id !== "number") return;
    // Only the socket moves the resume point: the answer to our own reply may arrive while
    // the socket is down, and resuming after it would skip others' posts made meanwhile.
    if (fromSocket) lastPostId = Math.max(lastPostId, post.id);
    // Already shown (the author's own): once is enough. A post a moderator shows again
    // replaces the note left where it was hidden.
    const existing = document.getElementById(`post-${post.id}`);
    if (existing && !existing.classList.contains("forum-post--gone")) return;
    if (!existing && !viewer.lastPage) {
      if (moreEl) moreEl.hidden = false;
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = post.html;
    const article = template.content.querySelector(".forum-post");
    if (!article) return;
    applyViewer(article);
    if (existing) {
      existing.replaceWith(article);
    } else {
      // In number order: a post shown again (or moved in by a merge) may belong before others.
      const later = [...postsEl.querySelectorAll("article.forum-post")].find(
        (other) => Number(other.dataset.number) > post.number,
      );
      if (later) later.before(article);
      else postsEl.append(article);
    }
    article.classList.add("forum-post--new");
    if (post.author !== viewer.username) {
      announce(interpolate(gettext("New reply from %(name)s"), { name: post.author }, true));
    }
    beaconRead(post.number);
  }

  function updatePost(post) {
    const current = document.getElementById(`post-${post.id}`);
    if (!current || !current.matches("article")) return;
    const template = document.createElement("template");
    template.innerHTML = post.html;
    const fresh = template.content.querySelector(".forum-post");
    if (!fresh) return;
    // A moderator's copy of a post shown again is visible again.
    if (fresh.dataset.state && fresh.dataset.state !== current.dataset.state) {
      current.classList.remove(`forum-post--${current.dataset.state}`);
      current.classList.add(`forum-post--${fresh.dataset.state}`);
      current.dataset.state = fresh.dataset.state;
    }
    // Swap the content but keep this page's per-viewer controls (moderation, flags).
    for (const selector of [".forum-post__state", ".forum-post__body", ".forum-post__when", ".forum-post__images"]) {
      const next = fresh.querySelector(selector);
      const previous = current.querySelector(selector);
      if (next && previous) previous.replaceWith(next);
      else if (next) current.querySelector(".forum-post__body")?.after(next);
      else previous?.remove();
    }
  }

  function hidePost(frame) {
    const article = document.getElementById(`post-${frame.id}`);
    if (!article || !article.matches("article")) return;
    if (viewer.moderator) {
      article.classList.remove(`forum-post--${article.dataset.state}`);
      article.classList.add(`forum-post--${frame.state}`);
      article.dataset.state = frame.state;
      return;
    }
    const note = document.createElement("p");
    note.className = "forum-post forum-post--gone muted small";
    note.id = article.id;
    note.textContent =
      frame.state === "deleted" ? gettext("This post was deleted.") : gettext("This post was removed by a moderator.");
    // Someone working in the post (a reaction button, a link) is not dropped to the page's top.
    const hadFocus = article.contains(document.activeElement);
    article.replaceWith(note);
    if (hadFocus) {
      note.tabIndex = -1;
      note.focus();
    }
  }

  function setCounts(postId, counts) {
    const article = document.getElementById(`post-${postId}`);
    if (!article || !counts) return;
    for (const [kind, count] of Object.entries(counts)) {
      const el = article.querySelector(`[data-count="${kind}"]`);
      if (el) el.textContent = String(count);
    }
  }

  function handle(frame) {
    switch (frame.type) {
      case "session.ready":
        applyThread(frame.thread);
        showPresence(frame.presence);
        if (frame.truncated && moreEl) moreEl.hidden = false;
        break;
      case "post.created":
        insertPost(frame.post);
        break;
      case "post.updated":
        updatePost(frame.post);
        break;
      case "post.hidden":
        hidePost(frame);
        break;
      case "reaction.updated":
        setCounts(frame.id, frame.counts);
        break;
      case "thread.updated":
        applyThread(frame.thread);
        break;
      case "presence":
        showPresence(frame);
        break;
      case "error":
        console.warn("kanta forum socket:", frame.code, frame.message);
        break;
      default:
        break;
    }
  }

  // Reactions, accepting and watching: the same forms, sent with fetch.
  root.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.matches("[data-react-form]")) {
      event.preventDefault();
      if (!viewer.id) return form.submit();
      const button = form.querySelector("[data-reaction]");
      if (button.getAttribute("aria-disabled") === "true") {
        announce(gettext("You cannot react to your own post."));
        return;
      }
      const postId = form.closest(".forum-post")?.dataset.postId;
      const data = new FormData(form);
      data.set("on", button.getAttribute("aria-pressed") === "true" ? "0" : "1");
      button.disabled = true;
      try {
        const { response, body } = await postForm(form.action, data);
        if (!response.ok) {
          announce(body.error || gettext("That did not work. Please try again."));
          return;
        }
        button.setAttribute("aria-pressed", body.reacted ? "true" : "false");
        const kinds = new Set(reacted[postId] || []);
        if (body.reacted) kinds.add(body.kind);
        else kinds.delete(body.kind);
        reacted[postId] = [...kinds];
        setCounts(postId, body.counts);
      } catch {
        form.submit();
      } finally {
        button.disabled = false;
      }
    } else if (form.matches("[data-accept-form]")) {
      event.preventDefault();
      const data = new FormData(form);
      if (event.submitter?.name) data.set(event.submitter.name, event.submitter.value);
      try {
        const { response, body } = await postForm(form.action, data);
        if (!response.ok) {
          announce(body.error || gettext("That did not work. Please try again."));
          return;
        }
        applyAccepted(body.accepted_post_id);
        for (const flag of root.querySelectorAll('[data-flag="solved"]')) flag.hidden = !body.accepted_post_id;
        announce(body.accepted_post_id ? gettext("Marked as the accepted answer.") : gettext("No accepted answer."));
      } catch {
        form.submit();
      }
    } else if (form.matches("[data-watch-form]")) {
      event.preventDefault();
      const input = form.querySelector("input[name=watching]");
      const button = form.querySelector("button");
      try {
        const { response, body } = await postForm(form.action, new FormData(form));
        if (!response.ok) {
          announce(body.error || gettext("That did not work. Please try again."));
          return;
        }
        input.value = body.watching ? "0" : "1";
        button.setAttribute("aria-pressed", body.watching ? "true" : "false");
        button.textContent = body.watching ? gettext("Watching") : gettext("Watch");
        announce(
          body.watching
            ? gettext("You are watching this thread: we will tell you about replies.")
            : gettext("You no longer watch this thread."),
        );
      } catch {
        form.submit();
      }
    } else if (form === replyForm) {
      event.preventDefault();
      await sendReply();
    }
  });

  // Errors and results in the form's one message slot, in the site's alert styles (a new one
  // replaces the last); the text stays in the box until the server has the reply.
  function replyMessage(kind, text) {
    if (composer) composer.showMessage(kind, text);
    else announce(text);
  }

  async function sendReply() {
    const button = replyForm.querySelector("button[type=submit]");
    button.disabled = true;
    replyForm.setAttribute("aria-busy", "true");
    composer?.saveNow();
    let answer;
    try {
      answer = await postForm(replyForm.action, new FormData(replyForm));
    } catch {
      replyMessage("error", gettext("Could not reach the server, so your reply is not posted yet. Your text is kept: try again."));
      return;
    } finally {
      button.disabled = false;
      replyForm.removeAttribute("aria-busy");
    }
    const { response, body } = answer;
    if (!response.ok) {
      const bodyErrors = (body.errors && body.errors.body) || [];
      const others = Object.entries(body.errors || {})
        .filter(([field]) => field !== "body" && field !== "__all__")
        .flatMap(([, errors]) => errors);
      const messages = [body.error, ...others].filter(Boolean);
      composer?.showFieldErrors(bodyErrors);
      replyMessage("error", [...new Set(messages)].join(" ") || gettext("That did not work. Please try again."));
      return;
    }
    replyForm.reset();
    composer?.sent();
    setReplying(false);
    replyMessage(body.state === "pending" ? "info" : "success", body.message || "");
    if (!viewer.lastPage) {
      window.location.assign(body.url);
      return;
    }
    // The socket brings it too; whichever comes second is dropped.
    insertPost(
      { id: body.id, number: body.number, html: body.html, author: viewer.username },
      { fromSocket: false },
    );
    document.getElementById(`post-${body.id}`)?.scrollIntoView({ block: "nearest" });
  }

  // Quote: the selected text of a post (or the whole post) into the reply box.
  root.addEventListener("click", (event) => {
    const link = event.target.closest?.("[data-quote]");
    if (!link || !replyBody) return;
    event.preventDefault();
    const article = link.closest(".forum-post");
    const selection = window.getSelection?.();
    const selected =
      selection && !selection.isCollapsed && article.contains(selection.anchorNode) ? selection.toString() : "";
    const text = (selected || article.querySelector(".forum-post__body")?.innerText || "").trim();
    const permalink = article.querySelector(".forum-post__time")?.getAttribute("href") || "";
    const quoted = text
      .split("\n")
      .map((line) => `> ${line}`)
      .join("\n");
    const header = `> [@${article.dataset.author} ${gettext("wrote")}](${permalink}):`;
    composer?.write();
    replyBody.value = `${replyBody.value ? `${replyBody.value.trimEnd()}\n\n` : ""}${header}\n${quoted}\n\n`;
    replyBody.focus();
    replyBody.setSelectionRange(replyBody.value.length, replyBody.value.length);
    composer?.saveNow();
    setReplying(true);
  });

  // "Replying": throttled while the box has text, cleared when it is emptied or sent.
  let replyingSentAt = 0;
  let replyingOn = false;
  function setReplying(on) {
    if (!viewer.id || !socket) return;
    const now = Date.now();
    if (on && replyingOn && now - replyingSentAt < REPLYING_EVERY_MS) return;
    if (!on && !replyingOn) return;
    replyingOn = on;
    replyingSentAt = now;
    socket.send({ type: "presence.replying", replying: on });
  }
  replyBody?.addEventListener("input", () => setReplying(replyBody.value.trim() !== ""));

  for (const article of postsEl.querySelectorAll(".forum-post")) applyViewer(article);
  if (viewer.id) readTo = Number(postsEl.querySelector(".forum-post:last-of-type")?.dataset.number || 0);
  socket = liveSocket(`/ws/forum/threads/${root.dataset.forumThread}/`, {
    since: () => lastPostId,
    onFrame: handle,
    onStop: () => {
      if (presenceEl) presenceEl.hidden = true;
    },
  });
}

// --- the forum index and category pages ---------------------------------------------------------

function listPage(root) {
  const kind = root.dataset.forumList;
  const path = kind === "category" ? `/ws/forum/c/${root.dataset.categorySlug}/` : "/ws/forum/";
  const freshEl = root.querySelector("[data-fresh]");

  function onIndex(frame) {
    const card = root.querySelector(`[data-category-id="${frame.thread.category_id}"]`);
    if (!card) return;
    const threads = card.querySelector("[data-thread-count]");
    const posts = card.querySelector("[data-post-count]");
    if (frame.type === "thread.created" && threads) threads.textContent = String(Number(threads.textContent) + 1);
    if (posts) posts.textContent = String(Number(posts.textContent) + 1);
    const latest = card.querySelector("[data-latest]");
    if (latest) {
      latest.replaceChildren();
      const link = document.createElement("a");
      link.href = frame.thread.url;
      link.textContent = frame.thread.title;
      const who = document.createElement("span");
      who.className = "muted";
      const name = frame.author || frame.last_poster;
      who.textContent = ` ${name ? `@${name} · ` : ""}${gettext("just now")}`;
      latest.append(link, who);
    }
    card.classList.add("forum-category--active");
  }

  function onCategory(frame) {
    const row = root.querySelector(`[data-thread-id="${frame.thread.id}"]`);
    if (frame.type === "thread.updated") {
      const moved = String(frame.thread.category_id) !== root.dataset.categoryId;
      if (row && (moved || frame.thread.state === "deleted")) row.remove();
      return;
    }
    if (frame.type === "thread.activity" && row) {
      const replies = row.querySelector("[data-reply-count]");
      if (replies) replies.textContent = String(frame.thread.reply_count);
      row.classList.add("forum-thread-row--unread");
      const body = row.parentElement;
      const firstUnpinned = [...body.children].find((r) => !r.classList.contains("forum-thread-row--pinned"));
      if (!row.classList.contains("forum-thread-row--pinned") && firstUnpinned && firstUnpinned !== row) {
        body.insertBefore(row, firstUnpinned);
      }
      return;
    }
    if (frame.type === "thread.created" || frame.type === "thread.activity") {
      if (freshEl) {
        freshEl.hidden = false;
        const link = freshEl.querySelector("a");
        if (link && frame.type === "thread.created") {
          link.textContent = interpolate(gettext("New thread: %(title)s. Show the latest."), { title: frame.thread.title }, true);
        }
      }
    }
  }

  liveSocket(path, {
    since: () => 0,
    onFrame(frame) {
      if (!frame.thread || !["thread.created", "thread.activity", "thread.updated"].includes(frame.type)) return;
      if (frame.type === "thread.updated" && kind !== "category") return;
      if (frame.type === "thread.created") {
        announce(interpolate(gettext("New thread: %(title)s"), { title: frame.thread.title }, true));
      }
      if (kind === "category") onCategory(frame);
      else onIndex(frame);
    },
  });
}

const threadRoot = document.querySelector("[data-forum-thread]");
if (threadRoot) threadPage(threadRoot);
const listRoot = document.querySelector("[data-forum-list]");
if (listRoot) listPage(listRoot);
