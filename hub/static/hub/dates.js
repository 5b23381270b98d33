// window.KantaDates: the site's one date and time style, in the browser.
//
// Server-rendered pages format dates with Django's named formats from hub/formats/<lang>/
// ("3 Dec 2026, 23:26" in English, "3.12.2026 klo 23.26" in Finnish); live pages' scripts
// call these functions so that a message that arrives over a socket reads exactly like the
// ones rendered with the page. The language is <html lang>; the zone is the one the server
// renders in (data-time-zone on this script's tag), so a page never mixes two clocks. Pass
// { timeZone: "…" } to show another zone (the event pages show the reader's own).
//
//   KantaDates.datetime(dateOrIso[, options])  "3 Dec 2026, 23:26" / "3.12.2026 klo 23.26"
//   KantaDates.date(dateOrIso[, options])      "3 Dec 2026"        / "3.12.2026"
//   KantaDates.time(dateOrIso[, options])      "23:26"             / "23.26"
//   KantaDates.relative(dateOrIso[, options])  "just now", "5 minutes ago", "2 days ago",
//                                              then the datetime after a week (as the
//                                              server's kanta_timesince filter)
//
// A classic script loaded with `defer` in <head>: it runs before every module script, and
// the djangojs catalog (gettext/ngettext) is read when a function is called, not at load.
(function () {
  "use strict";

  const script = document.currentScript;
  const serverZone = (script && script.dataset.timeZone) || undefined;
  // Django's English "M" (the month's abbreviation); Finnish dates are all numbers.
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const MINUTE = 60 * 1000;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  const cache = new Map();

  function language() {
    const lang = (document.documentElement.lang || "en").toLowerCase();
    return lang.startsWith("fi") ? "fi" : "en";
  }

  function toDate(value) {
    if (value instanceof Date) return value;
    if (typeof value === "number") return new Date(value);
    const moment = new Date(value);
    return Number.isNaN(moment.getTime()) ? null : moment;
  }

  function zoneOf(options) {
    return (options && options.timeZone) || serverZone;
  }

  // The wall-clock fields of a moment in a zone, as numbers.
  function fields(moment, timeZone) {
    const key = timeZone || "";
    let formatter = cache.get(key);
    if (!formatter) {
      const settings = {
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        hourCycle: "h23",
      };
      try {
        formatter = new Intl.DateTimeFormat("en-GB", { ...settings, timeZone });
      } catch {
        // An unknown zone name: the device's clock is better than nothing.
        formatter = new Intl.DateTimeFormat("en-GB", settings);
      }
      cache.set(key, formatter);
    }
    const parts = {};
    for (const part of formatter.formatToParts(moment)) {
      if (part.type !== "literal") parts[part.type] = Number(part.value);
    }
    if (parts.hour === 24) parts.hour = 0;
    return parts;
  }

  const pad = (number) => String(number).padStart(2, "0");

  function formatDate(parts) {
    return language() === "fi"
      ? `${parts.day}.${parts.month}.${parts.year}`
      : `${parts.day} ${MONTHS[parts.month - 1]} ${parts.year}`;
  }

  function formatTime(parts) {
    return language() === "fi" ? `${parts.hour}.${pad(parts.minute)}` : `${pad(parts.hour)}:${pad(parts.minute)}`;
  }

  function date(value, options) {
    const moment = toDate(value);
    return moment ? formatDate(fields(moment, zoneOf(options))) : "";
  }

  function time(value, options) {
    const moment = toDate(value);
    return moment ? formatTime(fields(moment, zoneOf(options))) : "";
  }

  function datetime(value, options) {
    const moment = toDate(value);
    if (!moment) return "";
    const parts = fields(moment, zoneOf(options));
    return language() === "fi"
      ? `${formatDate(parts)} klo ${formatTime(parts)}`
      : `${formatDate(parts)}, ${formatTime(parts)}`;
  }

  // Literal ngettext calls, so that makemessages -d djangojs finds the messages.
  function ngettext(singular, plural, count) {
    return window.ngettext ? window.ngettext(singular, plural, count) : count === 1 ? singular : plural;
  }

  function counted(format, count) {
    return format.replace(/%\(count\)s/g, String(count));
  }

  function relative(value, options) {
    const moment = toDate(value);
    if (!moment) return "";
    const now = options && options.now !== undefined ? toDate(options.now) : new Date();
    const age = now.getTime() - moment.getTime();
    // A clock a few seconds ahead of the server still says "just now".
    if (age < MINUTE) {
      if (age > -MINUTE) return window.gettext ? window.gettext("just now") : "just now";
      return datetime(moment, options);
    }
    if (age < HOUR) {
      const minutes = Math.floor(age / MINUTE);
      return counted(ngettext("%(count)s minute ago", "%(count)s minutes ago", minutes), minutes);
    }
    if (age < DAY) {
      const hours = Math.floor(age / HOUR);
      return counted(ngettext("%(count)s hour ago", "%(count)s hours ago", hours), hours);
    }
    if (age < 7 * DAY) {
      const days = Math.floor(age / DAY);
      return counted(ngettext("%(count)s day ago", "%(count)s days ago", days), days);
    }
    return datetime(moment, options);
  }

  window.KantaDates = Object.freeze({ datetime, date, time, relative, serverZone });
})();
