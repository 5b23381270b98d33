// Event times in the reader's own time zone.
//
// The server writes every event time in the zone the event is announced in (with that zone's
// name), which is right for readers without JavaScript. This module rewrites them with
// window.KantaDates (the site's one date style) into the zone of the reader's device and says
// which zone that is, keeping the announced time beside it when the two differ:
//
//   <p data-event-when data-zone="Europe/Helsinki">            a start–end range
//     <time datetime="…" data-event-start>…</time>–<time datetime="…" data-event-end>…</time>
//     <span data-event-zone>…</span>
//   </p>
//   <time datetime="…" data-event-time [data-with-date]>…</time>   a single moment

const gettext = window.gettext || ((text) => text);
const interpolate =
  window.interpolate ||
  ((format, values, named) =>
    named ? format.replace(/%\((\w+)\)s/g, (_, key) => String(values[key])) : format);

function readerZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

const zone = readerZone();
const language = document.documentElement.lang || undefined;
// Dates and times in the site's one style (hub/static/hub/dates.js), in the reader's zone.
const inZone = { timeZone: zone };

function formatter(options) {
  try {
    return new Intl.DateTimeFormat(language, options);
  } catch {
    return new Intl.DateTimeFormat(undefined, options);
  }
}

const dayKey = formatter({ year: "numeric", month: "2-digit", day: "2-digit", timeZone: zone || undefined });

function zoneAbbreviation(moment) {
  const part = formatter({ timeZoneName: "short" })
    .formatToParts(moment)
    .find((item) => item.type === "timeZoneName");
  return part ? part.value : "";
}

function parse(element) {
  const moment = new Date(element.getAttribute("datetime"));
  return Number.isNaN(moment.getTime()) ? null : moment;
}

function localiseRange(when) {
  const startElement = when.querySelector("[data-event-start]");
  const endElement = when.querySelector("[data-event-end]");
  const zoneElement = when.querySelector("[data-event-zone]");
  if (!startElement || !endElement || !zoneElement) return;
  const start = parse(startElement);
  const end = parse(endElement);
  if (!start || !end) return;

  // The announced times with the zone's abbreviation only ("5 Dec 2026, 18:00–19:30 EET"), so
  // that the note fits the one line the server reserved for it, on a phone too.
  const times = when.querySelector(".event-when__times") || when;
  const abbreviation = zoneElement.dataset.abbreviation || "";
  const announced = `${times.textContent.replace(/\s+/g, " ").trim()} ${abbreviation}`.trim();
  startElement.textContent = window.KantaDates.datetime(start, inZone);
  endElement.textContent =
    dayKey.format(start) === dayKey.format(end)
      ? window.KantaDates.time(end, inZone)
      : window.KantaDates.datetime(end, inZone);
  zoneElement.textContent = interpolate(
    gettext("%(abbreviation)s, your time (%(zone)s)"),
    { abbreviation: zoneAbbreviation(start), zone: zone.replace(/_/g, " ") },
    true,
  );
  if (when.dataset.zone !== zone && !when.hasAttribute("data-compact")) {
    // The server reserves the line (data-event-announced), so filling it moves nothing.
    let note = when.querySelector("[data-event-announced]");
    if (!note) {
      note = document.createElement("span");
      note.className = "event-when__announced";
      when.append(note);
    }
    note.textContent = interpolate(gettext("Announced as %(time)s"), { time: announced }, true);
    note.title = note.textContent; // in full where a narrow screen cuts the line short
  }
  when.dataset.localised = zone;
}

function localiseMoment(element) {
  const moment = parse(element);
  if (!moment) return;
  const when = element.hasAttribute("data-with-date")
    ? window.KantaDates.datetime(moment, inZone)
    : window.KantaDates.time(moment, inZone);
  element.textContent = `${when} ${zoneAbbreviation(moment)}`.trim();
  element.dataset.localised = zone;
}

if (zone && window.KantaDates) {
  for (const when of document.querySelectorAll("[data-event-when]:not([data-localised])")) {
    localiseRange(when);
  }
  for (const element of document.querySelectorAll("time[data-event-time]:not([data-localised])")) {
    localiseMoment(element);
  }
}
