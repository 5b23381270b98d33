/* Names the inputs of the page editor that Wagtail 8 leaves without an accessible name
 * (found by axe-core on the guide, event and post editors):
 * - Draftail's rich text boxes (role=textbox): named by their field's label, or by their
 *   stream block's heading ("Text") when the block is a bare rich text block;
 * - the tag field's typing box that tag-it adds beside the labelled (hidden) input;
 * - nested block panels that share a heading ("Product pick" five times): each region is
 *   named with its place ("Product pick 2/5") so the landmarks are distinguishable;
 * - the minimap's scrolling list becomes focusable, so keyboard users can scroll it.
 * Runs again whenever blocks are added, since Wagtail renders them on the client.
 */
(function () {
  "use strict";

  function text(element) {
    return element ? element.textContent.replace(/\*/g, "").replace(/\s+/g, " ").trim() : "";
  }

  function labelFor(id) {
    return id ? document.querySelector('label[for="' + CSS.escape(id) + '"]') : null;
  }

  function nameTextbox(box) {
    if (box.hasAttribute("aria-label") || box.hasAttribute("aria-labelledby")) return;
    const field = box.closest("[data-field]");
    const hidden = field && field.querySelector("input[type=hidden][id]");
    let name = text(labelFor(hidden && hidden.id));
    if (!name) {
      const section = box.closest("section[data-panel]");
      const heading = section && section.querySelector(".w-panel__heading");
      name = text(heading);
    }
    if (name) box.setAttribute("aria-label", name);
  }

  function nameTagInput(input) {
    if (input.hasAttribute("aria-label")) return;
    // tag-it hides the labelled input (id_tags) and types into a new one beside it; the
    // label may sit in the panel's heading, outside the field.
    const field = input.closest("[data-field]");
    const original = field && field.querySelector("input[id]");
    const name = text(labelFor(original && original.id));
    if (name) input.setAttribute("aria-label", name);
  }

  function nameDuplicateRegions(root) {
    const groups = new Map();
    root.querySelectorAll("section[data-panel][aria-labelledby]").forEach(function (section) {
      if (section.dataset.kantaNamed) return;
      const heading = document.getElementById(section.getAttribute("aria-labelledby"));
      const name = text(heading);
      if (!name) return;
      if (!groups.has(name)) groups.set(name, []);
      groups.get(name).push(section);
    });
    groups.forEach(function (sections, name) {
      if (sections.length < 2) return;
      sections.forEach(function (section, index) {
        section.setAttribute("aria-label", name + " " + (index + 1) + "/" + sections.length);
        section.removeAttribute("aria-labelledby");
        section.dataset.kantaNamed = "1";
      });
    });
  }

  function run() {
    document.querySelectorAll("[role=textbox][contenteditable]").forEach(nameTextbox);
    document.querySelectorAll(".tagit-new input").forEach(nameTagInput);
    document.querySelectorAll(".w-minimap__list:not([tabindex])").forEach(function (list) {
      list.setAttribute("tabindex", "0");
    });
    nameDuplicateRegions(document);
  }

  let scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(function () {
      scheduled = false;
      run();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    run();
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true });
  });
})();
