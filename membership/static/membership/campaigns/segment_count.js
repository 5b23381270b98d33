// The segment form's live count: as conditions change, post the form to the count endpoint
// (debounced) and show {"count": n}, or the field errors of {"errors": {...}} (status 400).
// Without JavaScript the "Update count" button does the same by reloading the page.

const DELAY_MS = 400;

function setup(form) {
  const url = form.dataset.segmentCountUrl;
  const output = form.querySelector("[data-segment-count]");
  const errorsBox = form.querySelector("[data-segment-count-errors]");
  if (!url || !output) return;
  const one = output.dataset.one || "%(count)s member matches.";
  const many = output.dataset.many || "%(count)s members match.";
  const fixIt = output.dataset.invalid || "Fix the conditions marked to see the count.";
  const formatter = new Intl.NumberFormat(document.documentElement.lang || undefined);
  let timer = null;
  let controller = null;

  function clearFieldErrors() {
    form.querySelectorAll("[data-live-error]").forEach((node) => node.remove());
  }

  function showFieldErrors(errors) {
    clearFieldErrors();
    for (const [name, messages] of Object.entries(errors)) {
      const wrapper = form.querySelector(`[data-field-name="${CSS.escape(name)}"]`);
      if (!wrapper) continue;
      for (const message of messages) {
        const p = document.createElement("p");
        p.className = "error-message";
        p.dataset.liveError = "";
        p.textContent = message;
        wrapper.append(p);
      }
    }
  }

  async function update() {
    if (controller) controller.abort();
    controller = new AbortController();
    const body = new FormData(form);
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", Accept: "application/json" },
        signal: controller.signal,
      });
      const data = await response.json();
      if (response.ok && typeof data.count === "number") {
        clearFieldErrors();
        errorsBox.hidden = true;
        const text = data.count === 1 ? one : many;
        output.textContent = text.replace("%(count)s", formatter.format(data.count));
      } else if (data.errors) {
        showFieldErrors(data.errors);
        errorsBox.textContent = fixIt;
        errorsBox.hidden = false;
      }
    } catch (error) {
      if (error.name !== "AbortError") {
        errorsBox.textContent = fixIt;
        errorsBox.hidden = false;
      }
    }
  }

  function schedule(event) {
    // The name and description do not change who matches.
    if (event.target && ["name", "description"].includes(event.target.name)) return;
    clearTimeout(timer);
    timer = setTimeout(update, DELAY_MS);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
}

document.querySelectorAll("form[data-segment-count-url]").forEach(setup);
