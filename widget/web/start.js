// Starts the widget in the iframe document. Until the form's wasm has run, the document's own
// copy of the start screen (`index.html`, marked `data-static`) is on screen, and this script
// makes it work: the exit button and Shift three times leave, the language choice opens the
// document in the chosen language, the host page's theme applies, and a press of "start" or "check for an answer" is
// remembered (`data-pressed` on the host element) for the form to carry out when it takes over.
// Then it loads the wasm module and mounts the form, which replaces that copy with its own.
// `cargo xtask widget` replaces the two file names with the hashed ones.
import init, { mount_widget } from "./GLUE_FILE";

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
    host.dataset.pressed = button.type === "submit" ? "start" : "check";
    const status = screen.querySelector('[role="status"]');
    status.textContent = status.dataset.loading;
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

await init({ module_or_path: new URL("./WASM_FILE", import.meta.url) });
if (!exited) {
  mount_widget();
}
