// The referral link's copy button. Without JavaScript (or without clipboard access) the
// link stays a read-only field to select and copy by hand; the button only appears when it
// can work.

const gettext = window.gettext || ((text) => text);

for (const button of document.querySelectorAll("[data-copy-button]")) {
  const field = document.getElementById(button.dataset.copyButton);
  const status = field && document.getElementById(field.getAttribute("aria-describedby"));
  if (!field || !navigator.clipboard || !window.isSecureContext) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      if (status) status.textContent = gettext("Link copied. Paste it to a friend!");
    } catch {
      field.focus();
      field.select();
      if (status) status.textContent = gettext("Copying was blocked: the link is selected, copy it by hand.");
    }
  });
}

// A click in the read-only field selects the whole link, with or without the button.
for (const field of document.querySelectorAll(".copy-field__input")) {
  field.addEventListener("focus", () => field.select());
}
