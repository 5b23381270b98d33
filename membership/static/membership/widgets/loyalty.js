/* Kanta's loyalty widget for any page of a shop (docs/shops.md, "The loyalty widget").
 *
 *   <script src="https://<kanta>/widgets/v1/loyalty.js" async
 *           data-customer-email="{{ customer.email }}"
 *           data-customer-timestamp="<unix seconds>"
 *           data-customer-signature="<hex HMAC-SHA256 of '<timestamp>.<email>' with the widget secret>"></script>
 *
 * Without the data-customer-* attributes (nobody signed in to the shop) it invites the visitor
 * to join. Optional: data-lang ("en", "fi"; default the page's <html lang>), data-theme
 * ("light", "dark"; default the visitor's system setting), data-open="true" (the panel opens
 * on load: a page linked as "see your points").
 *
 * A launcher button opens a panel; both live in a shadow root, so the shop's CSS and the
 * widget's never meet. Every word comes translated from Kanta's answer. No framework. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__kantaLoyalty) return;
  window.__kantaLoyalty = true;
  var base = new URL(script.src).origin;
  var api = base + "/api/v1/widget/loyalty/";
  var lang = script.dataset.lang || (document.documentElement.lang || "en").slice(0, 2);

  var LIGHT = "--bg:#ffffff;--fg:#1d2a22;--muted:#4a5a50;--line:#d5ddd8;--soft:#f1f5f2;--accent:#1f5c3d;--accent-fg:#ffffff;--bar:#dfe7e2;--danger:#8a1c1c";
  var DARK = "--bg:#16201a;--fg:#e9f0eb;--muted:#b5c4ba;--line:#3a4a40;--soft:#1f2b24;--accent:#9ad8b4;--accent-fg:#10261a;--bar:#2c3a31;--danger:#ffb4a8";
  var STYLE = [
    ":host{all:initial;position:fixed;right:20px;bottom:20px;z-index:2147483000;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;" + LIGHT + "}",
    ":host([data-theme=dark]){" + DARK + "}",
    "@media (prefers-color-scheme:dark){:host(:not([data-theme=light])){" + DARK + "}}",
    "*{box-sizing:border-box}",
    "button{font:inherit;cursor:pointer}",
    ".launcher{background:var(--accent);color:var(--accent-fg);border:0;border-radius:999px;padding:12px 20px;font-weight:600;box-shadow:0 4px 16px rgba(0,0,0,.25)}",
    ".panel{position:absolute;right:0;bottom:60px;width:min(380px,calc(100vw - 40px));max-height:min(640px,calc(100vh - 100px));overflow:auto;background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.3)}",
    ".panel[hidden]{display:none}",
    ".head{display:flex;justify-content:space-between;align-items:center;gap:8px;padding:14px 16px;border-bottom:1px solid var(--line);position:sticky;top:0;background:var(--bg)}",
    "h2{font-size:1.1em;margin:0}h3{font-size:1em;margin:0 0 6px}",
    ".close{background:none;border:1px solid var(--line);color:var(--fg);border-radius:8px;padding:2px 10px}",
    "section{padding:12px 16px;border-bottom:1px solid var(--line)}section:last-child{border-bottom:0}",
    ".big{font-size:1.6em;font-weight:700;margin:0}",
    ".muted{color:var(--muted);font-size:.9em;margin:2px 0}",
    "progress{width:100%;height:10px;accent-color:var(--accent)}",
    "ul{list-style:none;margin:0;padding:0}li{padding:6px 0;border-top:1px solid var(--line)}li:first-child{border-top:0}",
    ".row{display:flex;justify-content:space-between;align-items:center;gap:8px}",
    ".btn{background:var(--accent);color:var(--accent-fg);border:1px solid var(--accent);border-radius:8px;padding:6px 12px}",
    ".btn.secondary{background:transparent;color:var(--fg);border-color:var(--line)}",
    ".btn[disabled]{opacity:.55;cursor:not-allowed}",
    ".confirm{background:var(--soft);border-radius:10px;padding:10px;margin-top:6px}",
    "dl{display:grid;grid-template-columns:1fr auto;gap:2px 12px;margin:6px 0}dt{color:var(--muted)}dd{margin:0;text-align:right;font-weight:600}",
    "code{font:600 1em ui-monospace,Menlo,Consolas,monospace;background:var(--soft);padding:2px 6px;border-radius:6px}",
    "input{font:inherit;width:100%;padding:6px 8px;border:1px solid var(--line);border-radius:8px;background:var(--soft);color:var(--fg)}",
    "a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}",
    ".status{padding:8px 16px;margin:0;font-weight:600}.status:empty{display:none}.status.error{color:var(--danger)}",
    ".badges li{display:inline-block;border:1px solid var(--line);border-radius:999px;padding:2px 10px;margin:2px 4px 2px 0}"
  ].join("");

  var host = document.createElement("div");
  host.setAttribute("data-kanta-loyalty", "");
  if (script.dataset.theme) host.setAttribute("data-theme", script.dataset.theme);
  var root = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    root.adoptedStyleSheets = [sheet];
  } else {
    var style = document.createElement("style");
    style.textContent = STYLE;
    root.appendChild(style);
  }

  var token = "";
  var data = null;
  var confirming = null; // the reward id whose confirmation is open
  var busy = false;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function call(path, body) {
    var headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    body.lang = lang;
    return fetch(api + path, { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "omit", mode: "cors" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          if (!response.ok) { var error = new Error(json.message || ""); error.code = json.error; throw error; }
          return json;
        });
      });
  }

  var launcher = el("button", { "class": "launcher", type: "button", "aria-expanded": "false", "aria-controls": "kanta-panel" });
  var panel = el("div", { "class": "panel", id: "kanta-panel", role: "dialog", "aria-labelledby": "kanta-title", hidden: true });
  var status = el("p", { "class": "status", role: "status", "aria-live": "polite" });
  root.appendChild(panel);
  root.appendChild(launcher);

  function say(message, isError) {
    status.textContent = message || "";
    status.className = "status" + (isError ? " error" : "");
  }

  function open(show) {
    panel.hidden = !show;
    launcher.setAttribute("aria-expanded", show ? "true" : "false");
    if (show) {
      var first = panel.querySelector("h2");
      if (first) { first.setAttribute("tabindex", "-1"); first.focus(); }
    } else {
      launcher.focus();
    }
  }
  launcher.addEventListener("click", function () { open(panel.hidden); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.stopPropagation(); open(false); }
  });

  function randomKey() {
    var bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function copyButton(text) {
    var L = data.labels;
    var button = el("button", { "class": "btn secondary", type: "button", text: L.copy });
    button.addEventListener("click", function () {
      (navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject())
        .then(function () { button.textContent = L.copied; say(L.copied); })
        .catch(function () { say(text); });
    });
    return button;
  }

  function section(title, children) {
    return el("section", {}, [title ? el("h3", { text: title }) : null].concat(children));
  }

  function memberSections() {
    var L = data.labels, m = data.member;
    var out = [];
    out.push(section(L.points, [
      el("p", { "class": "big", text: m.points_label }),
      m.pending_label ? el("p", { "class": "muted", text: m.pending_label }) : null,
      el("p", { "class": "muted", text: L.tier + ": " + (m.tier || "\u2013") }),
      el("progress", { max: "100", value: String(m.progress_percent), "aria-label": m.progress_label }),
      el("p", { "class": "muted", text: m.progress_label }),
    ]));
    if (m.coupons.length) {
      out.push(section(L.your_coupons, [el("ul", {}, m.coupons.map(function (c) {
        var shown = c.code ? el("code", { text: c.code }) : el("span", { "class": "muted", text: c.state === "failed" ? L.coupon_failed : L.coupon_pending });
        return el("li", { "class": "row" }, [el("span", { text: c.reward }), el("span", {}, [shown, c.code ? document.createTextNode(" ") : null, c.code ? copyButton(c.code) : null])]);
      }))]));
    }
    return out;
  }

  function rewardItem(reward) {
    var L = data.labels;
    var item = el("li", {}, [
      el("div", { "class": "row" }, [
        el("span", {}, [el("strong", { text: reward.name }), el("br"), el("span", { "class": "muted", text: reward.cost_label })]),
        data.member && reward.available
          ? el("button", { "class": "btn", type: "button", "data-reward": String(reward.id), "aria-label": L.redeem + ": " + reward.name, "aria-expanded": confirming === reward.id ? "true" : "false", onclick: function () { confirming = confirming === reward.id ? null : reward.id; render(); focusConfirm(); }, text: L.redeem })
          : null,
      ]),
      !reward.available && reward.blocked ? el("p", { "class": "muted", text: reward.blocked }) : null,
    ]);
    if (confirming === reward.id) {
      item.appendChild(el("div", { "class": "confirm", role: "group", "aria-labelledby": "kanta-confirm-" + reward.id }, [
        el("p", { id: "kanta-confirm-" + reward.id, text: L.confirm_title + " " + reward.name }),
        el("dl", {}, [
          el("dt", { text: L.costs }), el("dd", { text: reward.cost_label }),
          el("dt", { text: L.have_now }), el("dd", { text: data.member.points_label }),
          el("dt", { text: L.left_after }), el("dd", { text: reward.balance_after_label }),
        ]),
        el("p", { "class": "muted", text: L.coupon_valid }),
        el("div", { "class": "row" }, [
          el("button", { "class": "btn", type: "button", "data-confirm": "", disabled: busy, onclick: function () { redeem(reward); } , text: L.confirm }),
          el("button", { "class": "btn secondary", type: "button", onclick: function () { confirming = null; render(); focusReward(reward.id); }, text: L.cancel }),
        ]),
      ]));
    }
    return item;
  }

  function focusConfirm() {
    var button = panel.querySelector("[data-confirm]");
    if (button) button.focus();
  }

  function focusReward(id) {
    var button = panel.querySelector('[data-reward="' + id + '"]');
    if (button) button.focus();
  }

  // After a redemption or a join the control that was used is gone: keyboard and screen
  // reader users continue from the message that says what happened.
  function focusStatus() {
    status.setAttribute("tabindex", "-1");
    status.focus();
  }

  var redeemKeys = {};
  function redeem(reward) {
    if (busy) return;
    busy = true;
    // One key per confirmation: a double click or a retry after a lost answer buys one coupon.
    var key = redeemKeys[reward.id] || (redeemKeys[reward.id] = randomKey());
    say("");
    call("redeem/", { reward: reward.id, key: key })
      .then(function (json) {
        delete redeemKeys[reward.id];
        data = json; confirming = null; busy = false;
        render();
        say(json.redeemed.message);
        focusStatus();
      })
      .catch(function (error) { busy = false; render(); say(error.message || data.labels.error, true); focusStatus(); });
  }

  function join() {
    if (busy) return;
    busy = true;
    call("join/", {})
      .then(function (json) {
        data = json; busy = false; render();
        var heading = panel.querySelector("h3");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      })
      .catch(function (error) { busy = false; say(error.message || data.labels.error, true); focusStatus(); });
  }

  function render() {
    var L = data.labels;
    launcher.replaceChildren(
      el("span", { "aria-hidden": "true", text: "\u2605 " }),
      document.createTextNode(data.member ? data.member.points_label : L.launcher)
    );
    var parts = [el("div", { "class": "head" }, [
      el("h2", { id: "kanta-title", text: L.title }),
      el("button", { "class": "close", type: "button", "aria-label": L.close, text: "\u00d7", onclick: function () { open(false); } }),
    ]), status];
    var state = data.customer.state;
    if (data.member) {
      parts = parts.concat(memberSections());
    } else if (state === "joinable") {
      parts.push(section(L.join_title, [
        el("p", { "class": "muted", text: L.join_text }),
        el("button", { "class": "btn", type: "button", disabled: busy, onclick: join, text: L.join_with }),
        el("p", { "class": "muted", text: L.join_terms }),
      ]));
    } else if (state === "unverified") {
      parts.push(section(L.join_title, [el("p", { text: L.unverified }), el("a", { href: data.programme.login_url, text: L.login })]));
    } else if (state === "closed") {
      parts.push(section(L.join_title, [el("p", { text: L.closed })]));
    } else {
      parts.push(section(L.join_title, [
        el("p", { "class": "muted", text: L.join_text }),
        el("p", {}, [el("a", { "class": "btn", href: data.programme.join_url, text: L.join })]),
        el("p", {}, [el("a", { href: data.programme.login_url, text: L.login })]),
      ]));
    }
    if (data.rewards.length) {
      parts.push(section(L.rewards, [el("ul", {}, data.rewards.map(rewardItem)), el("p", {}, [el("a", { href: data.programme.rewards_url, text: L.all_rewards })])]));
    }
    parts.push(section(L.earn, [el("ul", {}, data.ways_to_earn.map(function (way) {
      return el("li", { "class": "row" }, [el("span", { text: way.name + (way.condition ? " \u2013 " + way.condition : "") }), el("strong", { text: way.points })]);
    }))]));
    if (data.member) {
      var m = data.member;
      var referral = el("input", { type: "text", readonly: true, value: m.referral_url, "aria-label": L.refer });
      parts.push(section(L.refer, [el("p", { "class": "muted", text: L.refer_text }), el("div", { "class": "row" }, [referral, copyButton(m.referral_url)])]));
      parts.push(section(L.badges, [m.badges.length
        ? el("ul", { "class": "badges" }, m.badges.map(function (b) { return el("li", { text: b.name + (b.level ? " \u00b7 " + b.level : "") }); }))
        : el("p", { "class": "muted", text: L.no_badges })]));
    }
    if (data.events.length) {
      parts.push(section(L.events, [el("ul", {}, data.events.map(function (event) {
        return el("li", {}, [el("a", { href: event.url, text: event.title }), el("br"), el("span", { "class": "muted", text: event.live ? L.live : event.when })]);
      }))]));
    }
    var focused = root.activeElement && root.activeElement.getAttribute("data-confirm") !== null;
    panel.replaceChildren.apply(panel, parts);
    if (focused) focusConfirm();
  }

  function start() {
    var d = script.dataset;
    var body = d.customerEmail ? { email: d.customerEmail, timestamp: d.customerTimestamp, signature: d.customerSignature } : {};
    function show(json, note) {
      token = json.token || ""; data = json; render(); say(note || ""); document.body.appendChild(host);
      if (d.open === "true") open(true);
    }
    call("session/", body)
      .then(function (json) { show(json); })
      .catch(function (error) {
        // A signature Kanta refuses (a page cached for too long): the visitor's view, saying why.
        if (!body.email || error.code === "origin") return;  // not a listed storefront: nothing shows
        call("session/", {}).then(function (json) { show(json, error.message); }).catch(function () {});
      });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
