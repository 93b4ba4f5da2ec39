// Starts the widget in the iframe document. Until the form's wasm has run, the document's own
// copy of the start screen (`index.html`, marked `data-static`) is on screen, and this script
// makes it work: the exit button and Shift three times leave, the language choice opens the
// document in the chosen language, the host page's theme applies, the relay's own phone numbers
// replace the built-in ones, and a press of "start" or "check for an answer" is remembered
// (`data-pressed` on the host element) for the form to carry out when it takes over.
// The form (its JS glue, chunk loader and wasm) is fetched only once the reporter comes near
// it (points at it, touches it, moves focus into it or presses a button): a visit that only
// reads the start screen, as most visits to a municipality's page do, downloads this document
// and this script, not the form. Then the form mounts and replaces that copy with its own.
// `cargo xtask widget` puts this script inside each iframe document (the relay's policy allows
// it by its hash), so it runs as soon as the document is parsed, with no round trip of its own,
// and replaces the file names with the hashed ones. It imports nothing at load.

// As `src/embedding.rs`.
const NEUTRAL_EXIT_URL = "https://www.weeronline.nl/";
const SHIFT_PRESSES_TO_EXIT = 3;
const SHIFT_EXIT_WINDOW_MILLISECONDS = 5000;

const host = document.getElementById("fluister-widget");
/** The document's start screen, while it is on screen (the form has not taken over). */
const staticScreen = () => host?.querySelector(".fluister[data-static]") ?? null;

let exited = false;
function exitNow() {
  if (exited) {
    return;
  }
  exited = true;
  // Hide everything at once. Without its host element the form never mounts.
  host?.remove();
  if (window.parent !== window) {
    // The loader on the host page replaces that page with its neutral one. The message holds
    // nothing but its type, so it may go to any origin (as the form's `ready`).
    window.parent.postMessage({ type: "exit" }, "*");
  } else {
    location.replace(NEUTRAL_EXIT_URL);
  }
}

const screen = staticScreen();
if (screen) {
  screen.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) {
      return;
    }
    if (button.classList.contains("exit-button")) {
      exitNow();
      return;
    }
    event.preventDefault();
    // The document's buttons are all `type="button"`: a press before this script runs does
    // nothing, where a submit would reload the document.
    host.dataset.pressed = button.classList.contains("button-primary") ? "start" : "check";
    showLoading(true);
    loadForm();
    fetchChunksFor(host.dataset.pressed);
  });
  screen.addEventListener("submit", (event) => event.preventDefault());
  screen.querySelector("#language-choice")?.addEventListener("change", (event) => {
    const address = new URL(location.href);
    address.searchParams.set("lang", event.target.value);
    location.replace(address.href);
  });
  let shiftPresses = [];
  document.addEventListener("keydown", (event) => {
    // Once the form has taken over, it counts the presses itself.
    const current = staticScreen();
    if (!current) {
      return;
    }
    if (event.key !== "Shift") {
      shiftPresses = [];
      return;
    }
    if (event.repeat) {
      return;
    }
    const now = Date.now();
    shiftPresses = shiftPresses.filter((time) => now - time <= SHIFT_EXIT_WINDOW_MILLISECONDS);
    shiftPresses.push(now);
    if (shiftPresses.length >= SHIFT_PRESSES_TO_EXIT) {
      exitNow();
      return;
    }
    const status = current.querySelector("[aria-live]");
    const remaining = SHIFT_PRESSES_TO_EXIT - shiftPresses.length;
    status.textContent = remaining === 2 ? status.dataset.shiftStatusTwo : status.dataset.shiftStatusOne;
  });
}

// The host page's theme: the loader answers `ready` with it. Applied before the form takes over,
// so colours and font do not change under the reporter's eyes then; the form announces itself
// again and applies the same theme (and learns the host page's origin from it). Only the
// allowlisted slots, and only values `src/embedding.rs`'s `is_safe_theme_value` accepts.
const THEME_SLOTS = [
  "font-family",
  "text-color",
  "background-color",
  "primary-background-color",
  "primary-text-color",
  "link-color",
  "focus-color",
  "border-radius",
];
function isSafeThemeValue(value) {
  const lower = value.toLowerCase();
  return value.trim() !== ""
    && new TextEncoder().encode(value).length <= 200
    && !lower.includes("url(")
    && !lower.includes("image")
    && !lower.includes("expression")
    && /^[\p{Alphabetic}\p{N} #%.,()\-_"'/+]*$/u.test(value);
}
if (screen && window.parent !== window) {
  window.addEventListener("message", (event) => {
    const data = event.source === window.parent ? event.data : null;
    if (!staticScreen() || data?.type !== "theme" || typeof data.tokens !== "object" || data.tokens === null) {
      return;
    }
    for (const slot of THEME_SLOTS) {
      const value = data.tokens[slot];
      if (typeof value === "string" && isSafeThemeValue(value)) {
        // CSSOM, not a style attribute: allowed by the frame's `style-src 'self'`.
        document.documentElement.style.setProperty(`--fluister-${slot}`, value.trim());
      }
    }
  });
  // Holds nothing but its type, so it may go to any origin (as the form's own `ready`).
  window.parent.postMessage({ type: "ready" }, "*");
}

// The relay's own phone numbers, where its operator lists some, in place of the built-in ones,
// as the form shows them once it runs (`src/app/steps/start.rs`, `src/api.rs`): the label in
// this document's language where there is one, the number from abroad after the usual one. Each
// is checked as the relay checks its configuration and the form checks what it receives
// (`fluister_protocol::bodies`), so a broken one is left out; with none usable, the built-in
// list stays. Only text and `tel:` links are written, never markup.
const MAX_PHONE_NUMBERS = 12;
const MAX_PHONE_LABEL_CHARS = 120;
const isShowable = (text) =>
  typeof text === "string" && text.trim() !== "" && [...text].length <= MAX_PHONE_LABEL_CHARS
  && !/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(text);
const isDialable = (number) =>
  typeof number === "string" && number.length <= 24 && /^\+?[0-9 ()-]*$/.test(number)
  && number.replace(/[^0-9]/g, "").length >= 3;
function phoneLink(number) {
  const link = document.createElement("a");
  link.href = `tel:${number.replace(/[ -]/g, "")}`;
  link.dir = "ltr";
  link.textContent = number;
  return link;
}
// The configuration's text and when it arrived, for the form, which would otherwise fetch it
// again (it decides by the copy's age whether to keep it).
let configText = null;
let configArrived = 0;
async function showRelayPhoneNumbers() {
  const list = screen?.querySelector(".alternatives ul");
  if (!list) {
    return;
  }
  const response = await fetch(new URL("/api/v1/config", location.href), { headers: { Accept: "application/json" } });
  const text = response.ok ? await response.text() : null;
  configText = text;
  configArrived = performance.now();
  const listed = text === null ? null : JSON.parse(text)?.phone_numbers;
  const language = document.documentElement.lang;
  const lines = (Array.isArray(listed) ? listed : [])
    .filter((phone) => isShowable(phone?.label) && isDialable(phone?.number))
    .slice(0, MAX_PHONE_NUMBERS)
    .map((phone) => {
      const own = phone.labels?.[language];
      const line = document.createElement("li");
      line.append(`${isShowable(own) ? own : phone.label}: `, phoneLink(phone.number));
      if (phone.abroad && isDialable(phone.abroad)) {
        line.append(`; ${list.dataset.fromAbroad}: `, phoneLink(phone.abroad));
      }
      return line;
    });
  if (lines.length > 0 && staticScreen()) {
    list.replaceChildren(...lines);
  }
}
showRelayPhoneNumbers().catch(() => {
  // Unreachable or not JSON: the built-in numbers stay.
});

// The wasm chunks of the step a press leads to (`cargo xtask widget` fills in their names): the
// first question's after "start", the delivery chunk's (which holds the receipt code's input)
// after "check for an answer". The form fetches them first thing once it has taken over;
// fetched now, with the form, they are in the HTTP cache (hashed names, cached for good) by the
// time it asks, a round trip sooner. Nothing else: after "start", the other questions' chunk
// waits until the first question is on screen, as on a slow connection it would share the
// bandwidth with what the reporter is waiting for.
const CHUNKS_FOR_PRESS = { start: FIRST_QUESTION_CHUNK_FILES, check: DELIVERY_CHUNK_FILES };
const chunksFetched = new Set();
function fetchChunksFor(pressed) {
  if (chunksFetched.has(pressed)) {
    return;
  }
  chunksFetched.add(pressed);
  for (const chunk of CHUNKS_FOR_PRESS[pressed]) {
    fetch(new URL(chunk, location.href)).then((response) => response.arrayBuffer()).catch(() => {
      // The form fetches it again itself; the next press fetches them ahead again.
      chunksFetched.delete(pressed);
    });
  }
}

/** Shows "loading" under the buttons after a press, or that the relay cannot be reached. */
function showLoading(loading) {
  const status = screen?.querySelector('[role="status"]');
  const error = screen?.querySelector(".error-message");
  if (status && error) {
    status.textContent = loading ? status.dataset.loading : "";
    error.hidden = loading;
  }
}

// What tells that the reporter came near the form. A key press needs focus in this document,
// which moving it here has told already.
const APPROACHES = ["pointerover", "pointerdown", "touchstart", "focusin"];
let formRequested = false;
function listenForApproach(listen) {
  for (const type of APPROACHES) {
    if (listen) {
      document.addEventListener(type, loadForm, { capture: true, passive: true });
    } else {
      document.removeEventListener(type, loadForm, { capture: true });
    }
  }
}

/** Fetches the form and mounts it, once. A failed fetch is tried again when the reporter next
 * comes near the form; a press waiting for it then shows that the relay cannot be reached. */
function loadForm() {
  if (formRequested || exited) {
    return;
  }
  formRequested = true;
  listenForApproach(false);
  // Everything the form needs to start, at once rather than a round trip after another: the
  // glue, the chunk loader it imports, the wasm, and the language's table, which the form would
  // otherwise fetch only once its wasm has run. Fetched, not preloaded, and the glue imported
  // only once both scripts are in the HTTP cache (hashed names, cached for good): a browser may
  // answer every later request of an address whose preload or import failed with that failure
  // for as long as the document lives (Chromium 148 does), and a failed attempt must be able to
  // try again.
  const tableFile = host?.dataset.table ?? "";
  const fetched = (address) => fetch(new URL(address, location.href)).then((response) => {
    if (!response.ok) {
      throw new Error(`${address}: ${response.status}`);
    }
    return response;
  });
  const wasm = fetched("./WASM_FILE");
  const table = tableFile ? fetched(tableFile).then((response) => response.text()) : Promise.resolve("");
  const scripts = Promise.all(["./GLUE_FILE", "./SPLIT_LOADER_FILE"].map((address) => fetched(address).then((response) => response.arrayBuffer())));
  // All are handled below; this keeps a failure that comes first from going unhandled.
  Promise.all([wasm, table, scripts]).catch(() => {});
  scripts.then(() => import("./GLUE_FILE")).then(async ({ default: init, mount_widget }) => {
    await init({ module_or_path: wasm });
    const tableText = await table;
    if (!exited) {
      // The configuration as it has arrived by now, if at all, and how old it is (the form
      // checks it as its own, and fetches it itself without it).
      await mount_widget(tableFile, tableText, configText, performance.now() - configArrived);
    }
  }).catch(() => {
    formRequested = false;
    listenForApproach(true);
    if (host?.dataset.pressed) {
      showLoading(false);
    }
  });
}

if (screen) {
  listenForApproach(true);
} else {
  loadForm();
}
