/* Kanta's reviews widget for a shop's product page (docs/shops.md, "The reviews widget").
 *
 *   <div data-kanta-reviews data-sku="WAX-GLIDE-60"></div>
 *   <script src="https://<kanta>/widgets/v1/reviews.js" async></script>
 *
 * Each element gets a shadow root (the shop's CSS does not reach in, ours does not leak out)
 * with the product's average, histogram and latest reviews from
 * GET /api/v1/widget/reviews/<sku>/, and the page gets the product's AggregateRating JSON-LD.
 * Optional attributes: data-lang ("en", "fi"; default the page's <html lang>), data-theme
 * ("light", "dark"; default the visitor's system setting).
 * The answer's texts come translated from Kanta; review bodies are HTML Kanta sanitised. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src).origin : "";

  var STYLE = [
    ":host{all:initial;display:block;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;",
    "--bg:#ffffff;--fg:#1d2a22;--muted:#4a5a50;--line:#d5ddd8;--bar:#e6ece8;--fill:#2e6b4a;--star:#8a5a00;--link:#1f5c3d;--badge-bg:#e3f1e8;--badge-fg:#1d4d33}",
    ":host([data-theme=dark]){--bg:#16201a;--fg:#e9f0eb;--muted:#b5c4ba;--line:#3a4a40;--bar:#2c3a31;--fill:#7cc79c;--star:#f2c14e;--link:#9ad8b4;--badge-bg:#234332;--badge-fg:#cdeedb}",
    "@media (prefers-color-scheme:dark){:host(:not([data-theme=light])){--bg:#16201a;--fg:#e9f0eb;--muted:#b5c4ba;--line:#3a4a40;--bar:#2c3a31;--fill:#7cc79c;--star:#f2c14e;--link:#9ad8b4;--badge-bg:#234332;--badge-fg:#cdeedb}}",
    ".kr{background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:12px;padding:16px 20px}",
    "h2{font-size:1.25em;margin:0 0 8px}h3{font-size:1em;margin:0}",
    ".avg{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap;margin:0 0 12px}",
    ".avg strong{font-size:2em;line-height:1}.stars{color:var(--star);letter-spacing:1px}",
    ".muted{color:var(--muted)}",
    "table{border-collapse:collapse;margin:0 0 16px;width:100%;max-width:360px}caption{text-align:left}",
    "th{font-weight:normal;text-align:left;padding:2px 8px 2px 0;white-space:nowrap}",
    "td{padding:2px 0}td.n{text-align:right;padding-left:8px;width:3em}",
    ".bar{background:var(--bar);border-radius:4px;height:10px;overflow:hidden;min-width:120px}",
    ".bar span{display:block;height:100%;background:var(--fill)}",
    "ul{list-style:none;margin:0;padding:0}",
    "li.review{border-top:1px solid var(--line);padding:12px 0}",
    ".meta{font-size:.875em;color:var(--muted);margin:2px 0 6px}",
    ".badge{display:inline-block;background:var(--badge-bg);color:var(--badge-fg);border-radius:999px;padding:0 8px;font-size:.8em;margin-left:6px}",
    ".body p{margin:0 0 6px}",
    ".photos{display:flex;gap:6px;margin-top:6px}.photos img{width:72px;height:72px;object-fit:cover;border-radius:6px}",
    "a{color:var(--link)}a:focus-visible{outline:3px solid var(--fill);outline-offset:2px}",
    ".links{display:flex;gap:16px;flex-wrap:wrap;margin-top:12px}"
  ].join("");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // Set through the CSSOM, not a style attribute: a shop page's Content-Security-Policy
  // without 'unsafe-inline' allows this and refuses inline styles.
  function fill(percent) {
    var span = document.createElement("span");
    span.style.width = percent + "%";
    return span;
  }

  function styled(root) {
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", { text: STYLE }));
    }
  }

  function stars(rating) {
    var full = Math.round(rating);
    return "\u2605\u2605\u2605\u2605\u2605".slice(0, full) + "\u2606\u2606\u2606\u2606\u2606".slice(0, 5 - full);
  }

  function addJsonLd(data) {
    if (!data.json_ld || document.querySelector('script[data-kanta-sku="' + CSS.escape(data.product.sku) + '"]')) return;
    var tag = document.createElement("script");
    tag.type = "application/ld+json";
    tag.setAttribute("data-kanta-sku", data.product.sku);
    tag.textContent = JSON.stringify(data.json_ld);
    document.head.appendChild(tag);
  }

  function render(root, data, headingId) {
    var labels = data.labels;
    var summary = data.summary;
    var parts = [el("h2", { id: headingId, text: labels.heading })];
    if (summary.count) {
      parts.push(el("p", { "class": "avg" }, [
        el("strong", { text: summary.average_display }),
        el("span", { "class": "stars", "aria-hidden": "true", text: stars(summary.average) }),
        el("span", { "class": "muted", text: labels.average }),
      ]));
      var rows = summary.histogram.map(function (row) {
        return el("tr", {}, [
          el("th", { scope: "row", text: row.label }),
          el("td", {}, [el("div", { "class": "bar", "aria-hidden": "true" }, [fill(row.percent)])]),
          el("td", { "class": "n", text: String(row.count) }),
        ]);
      });
      parts.push(el("table", {}, [
        el("caption", { "class": "muted", text: labels.histogram }),
        el("tbody", {}, rows),
      ]));
      parts.push(el("ul", {}, data.reviews.map(function (review) {
        var body = el("div", { "class": "body" });
        body.innerHTML = review.body_html;  // sanitised by Kanta when it was written
        var photos = review.photos.length ? el("div", { "class": "photos" }, review.photos.map(function (photo) {
          return el("img", { src: photo.url, width: "72", height: "72", alt: photo.alt || "", loading: "lazy" });
        })) : null;
        return el("li", { "class": "review" }, [
          el("h3", {}, [el("a", { href: review.url, text: review.title })]),
          el("p", { "class": "meta" }, [
            el("span", { "class": "stars", "aria-hidden": "true", text: stars(review.rating) + " " }),
            el("span", { text: review.rating_label + " \u00b7 " + review.author + " \u00b7 " + review.date }),
            review.verified_buyer ? el("span", { "class": "badge", text: labels.verified_buyer }) : null,
          ]),
          body,
          photos,
        ]);
      })));
    } else {
      parts.push(el("p", { "class": "muted", text: labels.empty }));
    }
    parts.push(el("p", { "class": "links" }, [
      el("a", { href: data.write_url, text: labels.write }),
      summary.count ? el("a", { href: data.all_reviews_url, text: labels.all }) : null,
    ]));
    var old = root.querySelector("section");
    if (old) old.remove();
    root.appendChild(el("section", { "class": "kr", "aria-labelledby": headingId }, parts));
  }

  function mount(host, index) {
    if (host.shadowRoot || !host.dataset.sku) return;
    var root = host.attachShadow({ mode: "open" });
    styled(root);
    var lang = host.dataset.lang || (document.documentElement.lang || "en").slice(0, 2);
    var url = base + "/api/v1/widget/reviews/" + encodeURIComponent(host.dataset.sku) + "/?lang=" + encodeURIComponent(lang);
    fetch(url, { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;  // an unknown SKU: the page shows nothing rather than an error
        render(root, data, "kanta-reviews-" + index);
        addJsonLd(data);
      })
      .catch(function () {});  // Kanta unreachable: the shop's page stays as it was
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-kanta-reviews]"), mount);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
