// A campaign's page while it sends: reads its progress (campaign_progress as JSON) every two
// seconds and updates the counts in place; stops once the campaign has finished, then reloads
// once so the page shows its final state and actions. Without JavaScript the page has a
// Refresh link.

const INTERVAL_MS = 2000;

function update(section, progress) {
  for (const element of section.querySelectorAll("[data-field]")) {
    const name = element.dataset.field;
    if (name === "eta_text") {
      // The server's translated sentence, with SECONDS standing for the number.
      const template = element.dataset.template || "SECONDS s";
      element.textContent = progress.eta_seconds ? template.replace("SECONDS", String(progress.eta_seconds)) : "";
    } else if (name in progress) {
      element.textContent = String(progress[name]);
    }
  }
  for (const element of section.querySelectorAll("[data-field-value]")) {
    element.value = progress[element.dataset.fieldValue];
  }
  const state = document.querySelector("[data-progress-state]");
  if (state) state.textContent = progress.state_label;
}

async function poll(section) {
  const url = section.dataset.progressUrl;
  let progress;
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    progress = await response.json();
  } catch {
    setTimeout(() => poll(section), INTERVAL_MS * 2);
    return;
  }
  update(section, progress);
  if (progress.finished || !["queuing", "sending"].includes(progress.state)) {
    window.location.reload();
    return;
  }
  setTimeout(() => poll(section), INTERVAL_MS);
}

const section = document.querySelector("[data-progress-url]");
if (section) setTimeout(() => poll(section), INTERVAL_MS);
