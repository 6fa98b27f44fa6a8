// Development only: `article serve` adds this script to every page it serves (never to a build).
//
// It listens on the server's event stream at <site root>/__reload. A plain message means "the site
// was rebuilt": reload. An event named "error" carries the build's error text, shown in a banner
// at the top of the page until the next successful build reloads it.

import { siteUrl } from "./site-root.js";

const BANNER_ID = "build-error";

function showError(text) {
  let banner = document.getElementById(BANNER_ID);
  if (!banner) {
    banner = document.createElement("pre");
    banner.id = BANNER_ID;
    banner.className = "build-error";
    banner.setAttribute("role", "alert");
    document.body.prepend(banner);
  }
  banner.textContent = `Build failed; the page shows the last good build.\n\n${text}`;
}

if ("EventSource" in window) {
  const events = new EventSource(siteUrl("__reload"));
  events.addEventListener("message", () => location.reload());
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("error", (event) => {
    // A server-sent "error" event is a MessageEvent with data; a dropped connection is a bare
    // Event (EventSource then reconnects by itself, and the next rebuild reloads the page).
    if (event instanceof MessageEvent && event.data) showError(event.data);
  });
}
