// Helpful votes without a page reload. The forms work without this script (a normal POST
// and a redirect back); with it, the vote is posted with fetch and the count updated in place.

const forms = document.querySelectorAll("form[data-helpful-form]");

async function vote(form) {
  const button = form.querySelector("button[type=submit]");
  const card = form.closest(".review");
  const count = card && card.querySelector("[data-helpful-count]");
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": token },
      body: new FormData(form),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      announce(form, data.error || button.dataset.errorText || "");
      return;
    }
    button.setAttribute("aria-pressed", data.helpful ? "true" : "false");
    button.textContent = data.helpful ? button.dataset.labelOn : button.dataset.labelOff;
    if (count && data.label) count.textContent = data.label;
  } catch {
    // Offline or the server is down: fall back to the plain form post.
    form.submit();
  } finally {
    button.disabled = false;
  }
}

function announce(form, message) {
  if (!message) return;
  let note = form.querySelector("[data-helpful-error]");
  if (!note) {
    note = document.createElement("p");
    note.className = "small review__helpful-error";
    note.setAttribute("role", "alert");
    note.dataset.helpfulError = "";
    form.append(note);
  }
  note.textContent = message;
}

for (const form of forms) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    vote(form);
  });
}
