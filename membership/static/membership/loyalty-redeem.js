// The rewards page's confirmation step as a modal <dialog>. Without JavaScript each "Redeem"
// link opens the confirmation page (/rewards/<id>/redeem/) with the same form; here the
// link opens that form, rendered by the server into a <template>, in the dialog. The form
// carries a token the server keys the redemption on, so a second submit buys nothing twice;
// the button also refuses a second press while the first is on its way.

const dialog = document.querySelector("[data-redeem-dialog]");

if (dialog && typeof dialog.showModal === "function") {
  const body = dialog.querySelector("[data-redeem-body]");
  let opener = null;

  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-redeem-open]");
    if (link) {
      const template = document.getElementById(link.dataset.redeemOpen);
      if (!template) return; // the confirmation page still works
      event.preventDefault();
      body.replaceChildren(template.content.cloneNode(true));
      // Named by the form's heading, which exists only while the dialog is open.
      dialog.setAttribute("aria-labelledby", "redeem-dialog-title");
      opener = link;
      dialog.showModal();
      // Start on the safe choice: Enter must not spend points by accident.
      body.querySelector("[data-redeem-cancel]")?.focus();
      return;
    }
    if (dialog.open && event.target.closest("[data-redeem-cancel]")) {
      event.preventDefault();
      dialog.close();
    }
  });

  // A click on the backdrop (the dialog itself, outside its content) closes it.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });

  dialog.addEventListener("close", () => {
    body.replaceChildren();
    dialog.removeAttribute("aria-labelledby");
    opener?.focus();
    opener = null;
  });

  dialog.addEventListener("submit", (event) => {
    const button = event.target.querySelector("[data-redeem-submit]");
    if (!button) return;
    if (button.getAttribute("aria-disabled") === "true") {
      event.preventDefault();
      return;
    }
    button.setAttribute("aria-disabled", "true");
  });
}
