// Hover cards for citations and footnote references.
//
// A citation `<a class="cite" href="#ref-KEY">` or a footnote reference
// `<sup class="footnote-ref"><a href="#fn-N">` shows, next to itself, a copy of what its link
// points at (the bibliography entry, the footnote), so a reader need not jump away and back.
//
// - Mouse: opens after a short hover, stays open while the pointer is on the link or the card.
// - Keyboard: opens on focus, closes on blur or Escape.
// - Touch: a tap opens the card instead of jumping; a second tap (or a tap elsewhere) closes it.
// One card element serves every link; while open it is the link's aria-describedby.

const TRIGGER = "a.cite, .footnote-ref a";
const OPEN_DELAY_MS = 120;
const CLOSE_DELAY_MS = 250;
const GAP_PX = 6; // between the link and the card
const EDGE_PX = 8; // minimum distance from the viewport's sides

let card = null;
let current = null; // the link whose card is open
let timer = 0;
let touchPending = false; // a touch began on a link: its focus and click are handled as a tap

/** The element a trigger's link points at, if it is on this page. */
function targetOf(link) {
  const hash = link.hash || link.getAttribute("href") || "";
  if (!hash.startsWith("#") || hash.length < 2) return null;
  return document.getElementById(decodeURIComponent(hash.slice(1)));
}

function ensureCard() {
  if (!card) {
    card = document.createElement("div");
    card.id = "hovercard";
    card.className = "hovercard";
    card.setAttribute("role", "tooltip");
    card.hidden = true;
    card.addEventListener("pointerenter", () => clearTimeout(timer));
    card.addEventListener("pointerleave", (event) => {
      if (event.pointerType !== "touch") later(hide, CLOSE_DELAY_MS);
    });
    document.body.append(card);
  }
  return card;
}

/** Fill the card with a copy of `source`, minus back-links and ids (which must stay unique). */
function fill(source, kind) {
  const copy = source.cloneNode(true);
  copy.querySelectorAll(".footnote-backref, [data-backref]").forEach((el) => el.remove());
  copy.querySelectorAll("[id]").forEach((el) => el.removeAttribute("id"));
  card.className = `hovercard hovercard-${kind}`;
  card.replaceChildren(...copy.childNodes);
}

function place(link) {
  // Anchor to the line box under the pointer/caret: the first client rect of a wrapped link.
  const box = link.getClientRects()[0] ?? link.getBoundingClientRect();
  const { offsetWidth: width, offsetHeight: height } = card;
  const viewport = document.documentElement.clientWidth;
  const left = Math.min(
    Math.max(box.left + box.width / 2 - width / 2, EDGE_PX),
    Math.max(viewport - width - EDGE_PX, EDGE_PX),
  );
  const fitsBelow = box.bottom + GAP_PX + height <= window.innerHeight;
  const top = fitsBelow || box.top < height + GAP_PX ? box.bottom + GAP_PX : box.top - GAP_PX - height;
  // Page coordinates (the card is absolutely positioned in <body>) so it scrolls with its link.
  card.style.left = `${left + window.scrollX}px`;
  card.style.top = `${top + window.scrollY}px`;
}

function show(link) {
  clearTimeout(timer);
  if (current === link) return;
  const source = targetOf(link);
  if (!source) return;
  hide();
  ensureCard();
  fill(source, link.matches("a.cite") ? "cite" : "footnote");
  card.hidden = false;
  place(link);
  link.setAttribute("aria-describedby", card.id);
  current = link;
}

function hide() {
  clearTimeout(timer);
  if (!current) return;
  current.removeAttribute("aria-describedby");
  card.hidden = true;
  current = null;
}

function later(action, delay) {
  clearTimeout(timer);
  timer = setTimeout(action, delay);
}

function triggerFrom(event) {
  return event.target instanceof Element ? event.target.closest(TRIGGER) : null;
}

export function setupHovercards(root = document) {
  if (!root.querySelector(TRIGGER)) return;

  root.addEventListener("pointerover", (event) => {
    const link = triggerFrom(event);
    if (link && event.pointerType !== "touch") later(() => show(link), current ? 0 : OPEN_DELAY_MS);
  });
  root.addEventListener("pointerout", (event) => {
    const link = triggerFrom(event);
    if (link && event.pointerType !== "touch" && !link.contains(event.relatedTarget)) {
      later(hide, CLOSE_DELAY_MS);
    }
  });

  root.addEventListener("pointerdown", (event) => {
    touchPending = event.pointerType === "touch" && triggerFrom(event) !== null;
    // A tap or click anywhere outside the open card and its link closes it.
    if (current && !current.contains(event.target) && !card.contains(event.target)) hide();
  });
  root.addEventListener("click", (event) => {
    const link = triggerFrom(event);
    if (!link || !touchPending) return;
    touchPending = false;
    event.preventDefault(); // a tap toggles the card rather than jumping to the list
    if (current === link) hide();
    else show(link);
  });

  root.addEventListener("focusin", (event) => {
    const link = triggerFrom(event);
    if (link && !touchPending) show(link);
  });
  root.addEventListener("focusout", (event) => {
    if (triggerFrom(event) === current && !touchPending) hide();
  });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && current) hide();
  });
}
