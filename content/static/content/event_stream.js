// An event's HLS stream in every browser.
//
// templates/content/includes/event_stream.html renders a plain <video controls> with the
// .m3u8 as its source, which Safari, iOS and most Android browsers play by themselves. Only
// where the browser cannot, this module loads the vendored hls.js (light build, see
// content/static/content/vendor/VENDORED.md; its address comes from the template, so it is
// the hashed static file) and plays the stream through Media Source Extensions.

const gettext = window.gettext || ((text) => text);

const HLS_TYPE = "application/vnd.apple.mpegurl";
// Before a broadcast begins its playlist is missing: keep asking for a few minutes.
const MAX_RETRIES = 8;
const MAX_DELAY_MS = 30000;

function statusFor(video) {
  const region = video.closest(".event-stream")?.querySelector("[data-event-stream-status]");
  return (message) => {
    if (region) region.textContent = message;
  };
}

function retryDelay(attempt) {
  return Math.min(MAX_DELAY_MS, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

// The browser plays HLS itself: only say so, and ask again, when the stream is not there yet.
function watchNative(video, source, say) {
  let retries = 0;
  const failed = () => {
    if (retries >= MAX_RETRIES) {
      say(gettext("The stream stopped. Reload the page to try again."));
      return;
    }
    retries += 1;
    say(gettext("The stream is not reachable right now. Trying again…"));
    setTimeout(() => video.load(), retryDelay(retries));
  };
  source.addEventListener("error", failed);
  video.addEventListener("loadedmetadata", () => {
    retries = 0;
    say("");
  });
  // It may have failed before this module ran.
  if (video.networkState === HTMLMediaElement.NETWORK_NO_SOURCE) failed();
}

async function attach(video) {
  const source = video.querySelector("source");
  const url = source ? source.getAttribute("src") : "";
  if (!url) return;
  const say = statusFor(video);
  if (video.canPlayType(HLS_TYPE)) {
    watchNative(video, source, say);
    return;
  }

  let Hls;
  try {
    ({ default: Hls } = await import(video.dataset.hlsSrc));
  } catch {
    say(gettext("The video player could not load. Reload the page to try again."));
    return;
  }
  if (!Hls.isSupported()) {
    say(gettext("This browser cannot play the stream."));
    return;
  }

  // hls.js feeds the element itself; the unplayable <source> would only raise an error.
  source.remove();
  video.removeAttribute("src");
  const hls = new Hls({ lowLatencyMode: true, backBufferLength: 90 });
  let retries = 0;

  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    retries = 0;
    say("");
  });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      hls.recoverMediaError();
      return;
    }
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && retries < MAX_RETRIES) {
      retries += 1;
      say(gettext("The stream is not reachable right now. Trying again…"));
      // A missing playlist is asked for again; a stalled one resumes loading.
      const again = String(data.details).startsWith("manifest")
        ? () => hls.loadSource(url)
        : () => hls.startLoad();
      setTimeout(again, retryDelay(retries));
      return;
    }
    say(gettext("The stream stopped. Reload the page to try again."));
    hls.destroy();
  });

  hls.loadSource(url);
  hls.attachMedia(video);
}

for (const video of document.querySelectorAll("video[data-event-stream]")) {
  attach(video);
}
