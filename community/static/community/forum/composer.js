// The forum's composer (templates/community/forum/_composer.html): the reply box, a new
// thread's message and a post being edited. Without this script each is a plain textarea in a
// plain form; with it:
//
// - a formatting toolbar (bold, italic, link, quote, code, bulleted and numbered lists) that
//   writes the Markdown the forum renders, one Tab stop with arrow keys inside (the ARIA
//   toolbar pattern), and Ctrl/Cmd+B and Ctrl/Cmd+I in the text;
// - Write / Preview tabs (the ARIA tabs pattern: arrow keys, Home, End); the preview is
//   rendered by the server (POST /forum/preview/) with the very function that renders a saved
//   post, so what it shows is what will be posted;
// - a draft kept in localStorage under "kanta.forum.draft:<member id>:<scope>" (the body, and
//   the title of a new thread), restored when the page comes back and cleared only once the
//   server has accepted the post: the reply's JSON answer, or for a plain form post the
//   success redirect's cookie "kanta_forum_draft_sent" (community/forum/views.py). A post the
//   server refuses (an error, a rate limit, no network) leaves the text in the box and the
//   draft where it was.
//
// The thread page's forum.js imports composerFor() to send replies with fetch.

const gettext = window.gettext || ((text) => text);

const DRAFT_PREFIX = "kanta.forum.draft:";
const DRAFT_SENT_COOKIE = "kanta_forum_draft_sent";
const DRAFT_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
const SAVE_DELAY_MS = 300;

// localStorage may be missing or refuse (private windows, a full quota, blocked storage):
// the composer then works as before, only without drafts.
const storage = (() => {
  try {
    const probe = `${DRAFT_PREFIX}probe`;
    window.localStorage.setItem(probe, "1");
    window.localStorage.removeItem(probe);
    return window.localStorage;
  } catch {
    return null;
  }
})();

function readDraft(key) {
  if (!storage) return null;
  try {
    const draft = JSON.parse(storage.getItem(DRAFT_PREFIX + key) || "null");
    return draft && typeof draft.body === "string" ? draft : null;
  } catch {
    return null;
  }
}

function writeDraft(key, draft) {
  if (!storage) return false;
  try {
    storage.setItem(DRAFT_PREFIX + key, JSON.stringify(draft));
    return true;
  } catch {
    return false;
  }
}

function removeDraft(key) {
  try {
    storage?.removeItem(DRAFT_PREFIX + key);
  } catch {
    // Nothing to do: the draft stays, and is offered again next time.
  }
}

function pruneDrafts() {
  if (!storage) return;
  const now = Date.now();
  try {
    for (let index = storage.length - 1; index >= 0; index -= 1) {
      const name = storage.key(index);
      if (!name?.startsWith(DRAFT_PREFIX)) continue;
      const draft = readDraft(name.slice(DRAFT_PREFIX.length));
      if (!draft || !(now - (draft.at || 0) < DRAFT_MAX_AGE_MS)) storage.removeItem(name);
    }
  } catch {
    // Pruning is housekeeping only.
  }
}

// The server's word that a plain form post went through: its draft goes, and so does the word.
function clearSentDraft() {
  const match = document.cookie.match(new RegExp(`(?:^|;\\s*)${DRAFT_SENT_COOKIE}=([^;]*)`));
  if (!match) return;
  const value = decodeURIComponent(match[1]).replace(/^"|"$/g, "");
  if (value) removeDraft(value);
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${DRAFT_SENT_COOKIE}=; Max-Age=0; Path=/forum/; SameSite=Lax${secure}`;
}

function csrfToken(form) {
  const input = form?.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// --- Markdown editing -------------------------------------------------------------------------

// Replace value[start:end] with text, keeping the browser's undo history where it can
// (execCommand is the only way to do that in a textarea), then select [selStart, selEnd).
function replaceRange(textarea, start, end, text, selStart, selEnd) {
  const expected = textarea.value.slice(0, start) + text + textarea.value.slice(end);
  textarea.focus();
  textarea.setSelectionRange(start, end);
  let inserted = false;
  try {
    inserted = document.execCommand("insertText", false, text);
  } catch {
    inserted = false;
  }
  if (!inserted || textarea.value !== expected) {
    textarea.value = expected;
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }
  textarea.setSelectionRange(selStart, selEnd);
}

function wrapInline(textarea, before, after, placeholder) {
  const { value, selectionStart: start, selectionEnd: end } = textarea;
  const selected = value.slice(start, end);
  // Already wrapped (and, for italic, not the inside of a bold): take the markers off.
  const wrapped =
    selected &&
    value.slice(start - before.length, start) === before &&
    value.slice(end, end + after.length) === after &&
    !(before === "*" && value.slice(start - 2, start) === "**" && value.slice(start - 3, start) !== "***");
  if (wrapped) {
    const from = start - before.length;
    replaceRange(textarea, from, end + after.length, selected, from, from + selected.length);
    return;
  }
  // A double-clicked word often brings its space along: the markers go inside the spaces.
  const lead = selected.match(/^\s*/)[0];
  const core = selected.trim();
  const trail = core ? selected.match(/\s*$/)[0] : "";
  const text = core || placeholder;
  const from = start + lead.length + before.length;
  replaceRange(textarea, start, end, `${lead}${before}${text}${after}${trail}`, from, from + text.length);
}

function insertLink(textarea) {
  const { value, selectionStart: start, selectionEnd: end } = textarea;
  const selected = value.slice(start, end).trim();
  if (/^(https?:\/\/|mailto:)\S+$/i.test(selected)) {
    const label = gettext("link text");
    replaceRange(textarea, start, end, `[${label}](${selected})`, start + 1, start + 1 + label.length);
    return;
  }
  const label = selected || gettext("link text");
  const text = `[${label}](https://)`;
  if (selected) {
    const urlStart = start + label.length + 3;
    replaceRange(textarea, start, end, text, urlStart, urlStart + "https://".length);
  } else {
    replaceRange(textarea, start, end, text, start + 1, start + 1 + label.length);
  }
}

// The whole lines the selection touches.
function lineRange(value, start, end) {
  const from = value.lastIndexOf("\n", start - 1) + 1;
  const last = end > start && value[end - 1] === "\n" ? end - 1 : end;
  const newline = value.indexOf("\n", last);
  return [from, newline === -1 ? value.length : newline];
}

// Prefix (or, when every line has it already, un-prefix) the selected lines. Markdown needs a
// blank line between a paragraph and a list or quote, so one is added where it is missing.
function prefixLines(textarea, { pattern, prefix, placeholder, skipBlank }) {
  const { value, selectionStart, selectionEnd } = textarea;
  const [from, to] = lineRange(value, selectionStart, selectionEnd);
  const lines = value.slice(from, to).split("\n");
  const filled = lines.filter((line) => line.trim() !== "");
  if (filled.length && filled.every((line) => pattern.test(line))) {
    const text = lines.map((line) => line.replace(pattern, "")).join("\n");
    replaceRange(textarea, from, to, text, from, from + text.length);
    return;
  }
  let number = 0;
  const body = filled.length
    ? lines
        .map((line) => {
          if (skipBlank && line.trim() === "") return line;
          number += 1;
          return `${prefix(number)}${line}`;
        })
        .join("\n")
    : `${prefix(1)}${placeholder}`;
  const before = from > 0 && value.slice(0, from) !== "\n" && !value.slice(0, from).endsWith("\n\n") ? "\n" : "";
  const after = to < value.length && value[to + 1] !== undefined && value[to + 1] !== "\n" ? "\n" : "";
  const selStart = from + before.length + (filled.length ? 0 : prefix(1).length);
  const selEnd = filled.length ? from + before.length + body.length : selStart + placeholder.length;
  replaceRange(textarea, from, to, `${before}${body}${after}`, selStart, selEnd);
}

function insertCode(textarea) {
  const { value, selectionStart: start, selectionEnd: end } = textarea;
  if (!value.slice(start, end).includes("\n")) {
    const selected = value.slice(start, end);
    const ticks = selected.includes("`") ? "``" : "`";
    const pad = ticks.length > 1 ? " " : "";
    wrapInline(textarea, `${ticks}${pad}`, `${pad}${ticks}`, gettext("code"));
    return;
  }
  // Several lines: an indented code block (the forum's Markdown has no fenced blocks).
  prefixLines(textarea, { pattern: /^( {4}|\t)/, prefix: () => "    ", placeholder: "", skipBlank: false });
}

const FORMATS = {
  bold: (textarea) => wrapInline(textarea, "**", "**", gettext("bold text")),
  italic: (textarea) => wrapInline(textarea, "*", "*", gettext("italic text")),
  link: insertLink,
  quote: (textarea) =>
    prefixLines(textarea, { pattern: /^> ?/, prefix: () => "> ", placeholder: gettext("Quoted text"), skipBlank: false }),
  code: insertCode,
  bullets: (textarea) =>
    prefixLines(textarea, { pattern: /^[-*+] /, prefix: () => "- ", placeholder: gettext("List item"), skipBlank: true }),
  numbers: (textarea) =>
    prefixLines(textarea, {
      pattern: /^\d+\. /,
      prefix: (number) => `${number}. `,
      placeholder: gettext("List item"),
      skipBlank: true,
    }),
};

// --- roving focus (toolbar buttons, tabs) -------------------------------------------------------

function roving(items, { vertical = false, onMove } = {}) {
  const next = vertical ? "ArrowDown" : "ArrowRight";
  const previous = vertical ? "ArrowUp" : "ArrowLeft";
  for (const item of items) {
    item.addEventListener("keydown", (event) => {
      const index = items.indexOf(item);
      let target = null;
      if (event.key === next) target = items[(index + 1) % items.length];
      else if (event.key === previous) target = items[(index - 1 + items.length) % items.length];
      else if (event.key === "Home") target = items[0];
      else if (event.key === "End") target = items[items.length - 1];
      if (!target) return;
      event.preventDefault();
      for (const other of items) other.tabIndex = other === target ? 0 : -1;
      target.focus();
      onMove?.(target);
    });
    item.addEventListener("focus", () => {
      for (const other of items) other.tabIndex = other === item ? 0 : -1;
    });
  }
}

// --- one composer -------------------------------------------------------------------------------

function setupComposer(root) {
  if (root.kantaComposer) return root.kantaComposer;
  const form = root.closest("form");
  const textarea = root.querySelector("textarea");
  if (!form || !textarea) return null;
  const title = form.querySelector("input[name=title]");
  const key = root.dataset.draftKey;
  const mode = root.dataset.draftMode;
  const tabs = [...root.querySelectorAll("[data-composer-tab]")];
  const panels = Object.fromEntries(
    [...root.querySelectorAll("[data-composer-panel]")].map((panel) => [panel.dataset.composerPanel, panel]),
  );
  const toolbar = root.querySelector("[data-composer-toolbar]");
  const tools = [...root.querySelectorAll("[data-format]")];
  const note = root.querySelector("[data-composer-draft]");
  const messageSlot = form.querySelector("[data-form-message]");
  const initial = { body: textarea.value, title: title?.value ?? "" };
  // Shown again by the server after a refused post: the text in the box is what was sent.
  const bound = root.hasAttribute("data-draft-bound");
  let saveTimer = 0;
  let loggingOut = false;
  let savedOnce = false;
  let preview = { body: null, html: "" };
  let previewSeq = 0;

  // The tab panels' roles come with the tabs, which exist only with this script.
  for (const tab of tabs) {
    const panel = panels[tab.dataset.composerTab];
    panel?.setAttribute("role", "tabpanel");
    panel?.setAttribute("aria-labelledby", tab.id);
  }

  // --- the draft ---

  function showNote(text, action) {
    if (!note) return;
    note.replaceChildren();
    if (!text) return;
    const span = document.createElement("span");
    span.textContent = text;
    note.append(span);
    if (action) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn--ghost btn--small";
      button.textContent = action.label;
      button.addEventListener("click", action.run);
      note.append(button);
    }
  }

  function saveNow() {
    window.clearTimeout(saveTimer);
    if (!storage || !key || loggingOut) return;
    const body = textarea.value;
    const titleText = title?.value ?? "";
    const unchanged = !bound && body === initial.body && titleText === initial.title;
    if ((!body.trim() && !titleText.trim()) || unchanged) {
      // Nothing typed, or nothing changed from what the page came with: no draft to keep.
      removeDraft(key);
      return;
    }
    if (writeDraft(key, { body, title: titleText, at: Date.now() }) && !savedOnce) {
      savedOnce = true;
      showNote(gettext("Draft saved on this device."));
    }
  }

  function saveSoon() {
    window.clearTimeout(saveTimer);
    saveTimer = window.setTimeout(saveNow, SAVE_DELAY_MS);
  }

  function restore() {
    if (bound) {
      // What the server showed again is what was sent, and it is the draft now.
      saveNow();
      return;
    }
    const draft = readDraft(key);
    if (!draft || !(draft.body.trim() || (draft.title || "").trim())) return;
    let body = draft.body;
    const start = initial.body.trim();
    // A quote the page opened with (?quote=) joins the draft instead of replacing it.
    if (mode === "append" && start && !draft.body.includes(start)) body = `${draft.body.trimEnd()}\n\n${initial.body}`;
    const newTitle = title && draft.title ? draft.title : title?.value;
    if (body === textarea.value && (newTitle ?? "") === (title?.value ?? "")) return;
    textarea.value = body;
    if (title && newTitle !== undefined) title.value = newTitle;
    savedOnce = true;
    if (body !== draft.body) saveNow();
    showNote(gettext("Your unsaved draft is back."), { label: gettext("Discard draft"), run: discard });
  }

  function discard() {
    const kept = { body: textarea.value, title: title?.value ?? "" };
    textarea.value = initial.body;
    if (title) title.value = initial.title;
    removeDraft(key);
    savedOnce = false;
    showNote(gettext("Draft discarded."), {
      label: gettext("Undo"),
      run: () => {
        textarea.value = kept.body;
        if (title) title.value = kept.title;
        saveNow();
        savedOnce = true;
        showNote(gettext("Your unsaved draft is back."), { label: gettext("Discard draft"), run: discard });
        textarea.focus();
      },
    });
    textarea.focus();
  }

  // --- tabs and preview ---

  function showPreviewMessage(text, error) {
    const element = document.createElement(error ? "div" : "p");
    if (error) {
      element.className = "alert alert--error";
      element.setAttribute("role", "alert");
      const paragraph = document.createElement("p");
      paragraph.textContent = text;
      element.append(paragraph);
    } else {
      element.className = "muted";
      element.textContent = text;
    }
    panels.preview.replaceChildren(element);
  }

  async function renderPreview() {
    const panel = panels.preview;
    const body = textarea.value;
    if (!body.trim()) {
      showPreviewMessage(gettext("Nothing to preview yet."), false);
      return;
    }
    if (preview.body === body) {
      panel.innerHTML = preview.html;
      return;
    }
    const seq = ++previewSeq;
    panel.setAttribute("aria-busy", "true");
    showPreviewMessage(gettext("Loading the preview…"), false);
    const data = new FormData();
    data.append("body", body);
    try {
      const response = await fetch(root.dataset.previewUrl, {
        method: "POST",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken(form) },
        body: data,
        credentials: "same-origin",
      });
      const answer = await response.json().catch(() => ({}));
      if (seq !== previewSeq) return;
      if (!response.ok || typeof answer.html !== "string") {
        showPreviewMessage(answer.error || gettext("The preview could not be made. Your text is kept."), true);
        return;
      }
      // The server's sanitised HTML, exactly what the saved post will show.
      preview = { body, html: answer.html };
      panel.innerHTML = answer.html;
    } catch {
      if (seq === previewSeq) {
        showPreviewMessage(gettext("Could not reach the server for the preview. Your text is kept."), true);
      }
    } finally {
      if (seq === previewSeq) panel.setAttribute("aria-busy", "false");
    }
  }

  function select(name) {
    for (const tab of tabs) {
      const on = tab.dataset.composerTab === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
    }
    if (name === "preview") {
      // The preview takes the text box's place at its height: the form below does not jump.
      panels.preview.style.minHeight = `${textarea.offsetHeight}px`;
      panels.write.hidden = true;
      panels.preview.hidden = false;
      toolbar?.setAttribute("data-inactive", "");
      renderPreview();
    } else {
      panels.preview.hidden = true;
      panels.write.hidden = false;
      toolbar?.removeAttribute("data-inactive");
    }
  }

  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab.dataset.composerTab));
  }
  // Tabs follow focus (automatic activation): the preview is one request, and cheap.
  roving(tabs, { onMove: (tab) => select(tab.dataset.composerTab) });

  // --- the toolbar and shortcuts ---

  function format(name) {
    if (panels.write.hidden) select("write");
    FORMATS[name]?.(textarea);
    saveSoon();
  }

  for (const tool of tools) {
    tool.addEventListener("click", () => format(tool.dataset.format));
  }
  roving(tools);

  textarea.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    const name = { b: "bold", i: "italic" }[event.key.toLowerCase()];
    if (!name) return;
    event.preventDefault();
    format(name);
  });

  textarea.addEventListener("input", saveSoon);
  title?.addEventListener("input", saveSoon);
  form.addEventListener("submit", saveNow);
  window.addEventListener("pagehide", saveNow);
  // Logging out clears every draft on the device (hub/static/hub/site.js); this page's
  // pagehide must not write this one back.
  document.addEventListener("kanta:logout", () => {
    loggingOut = true;
    window.clearTimeout(saveTimer);
  });
  window.addEventListener("pageshow", (event) => {
    // Back to this page from the browser's cache after the draft was sent (or discarded) on
    // another page: the box is emptied rather than saving the sent text as a draft again.
    if (event.persisted && savedOnce && !readDraft(key)) {
      textarea.value = initial.body;
      if (title) title.value = initial.title;
      savedOnce = false;
      showNote("");
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") saveNow();
  });

  // --- what forum.js uses to report on a reply sent with fetch ---

  function showMessage(kind, text) {
    if (!messageSlot) return;
    messageSlot.replaceChildren();
    if (!text) return;
    const alert = document.createElement("div");
    alert.className = `alert alert--${kind}`;
    alert.setAttribute("role", kind === "error" ? "alert" : "status");
    const paragraph = document.createElement("p");
    paragraph.textContent = text;
    alert.append(paragraph);
    messageSlot.append(alert);
  }

  function showFieldErrors(errors) {
    const id = `${textarea.id}_error`;
    root.querySelector(".field__errors")?.remove();
    const describedBy = (textarea.getAttribute("aria-describedby") || "").split(/\s+/).filter((part) => part && part !== id);
    root.classList.toggle("field--invalid", Boolean(errors?.length));
    if (errors?.length) {
      const box = document.createElement("div");
      box.className = "field__errors";
      box.id = id;
      for (const error of errors) {
        const line = document.createElement("p");
        line.className = "field__error";
        line.textContent = error;
        box.append(line);
      }
      root.querySelector(".forum-composer__frame").after(box);
      describedBy.unshift(id);
      textarea.setAttribute("aria-invalid", "true");
    } else {
      textarea.removeAttribute("aria-invalid");
    }
    if (describedBy.length) textarea.setAttribute("aria-describedby", describedBy.join(" "));
    else textarea.removeAttribute("aria-describedby");
  }

  function sent() {
    window.clearTimeout(saveTimer);
    removeDraft(key);
    textarea.value = "";
    initial.body = "";
    savedOnce = false;
    preview = { body: null, html: "" };
    panels.preview.replaceChildren();
    select("write");
    showFieldErrors([]);
    showNote("");
  }

  restore();
  const api = { textarea, saveNow, sent, showMessage, showFieldErrors, write: () => select("write") };
  root.kantaComposer = api;
  return api;
}

/** The composer of ``form`` (set up when this module loaded), or null. */
export function composerFor(form) {
  const root = form?.querySelector("[data-composer]");
  return root ? setupComposer(root) : null;
}

// The sent draft goes before any composer looks for its own.
clearSentDraft();
pruneDrafts();
for (const root of document.querySelectorAll("[data-composer]")) setupComposer(root);
