/*! Fluister loader (docs/embedding-guide.md): the reporting form in a cross-origin iframe */
// Nothing typed in the form ever reaches this page: the frame only sends "ready" and "exit".
// The frame's height is this loader's alone (FRAME_HEIGHT): nothing the reporter chooses or
// types changes it. The one comment above is all of this that `cargo xtask widget` keeps.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) {
    return;
  }
  var relayOrigin = new URL(script.src, location.href).origin;
  // Replaced by `cargo xtask widget` with the frame title and exit label per language.
  var TEXTS = /*FLUISTER_TEXTS*/ {} /*END_FLUISTER_TEXTS*/;
  var DEFAULT_EXIT_URL = "https://www.weeronline.nl/";
  // The frame's one height: the host window's own (its small viewport, so it holds when the
  // browser's bars show), less 2rem so some of this page stays in sight above or below, and
  // between 20rem and 50rem. It depends on nothing but this page's window, which this page
  // knows anyway; the form scrolls inside it, under its sticky safety bar. The frame never
  // asks for another height (an older frame's `resize` messages are ignored), so scripts that
  // watch this page's DOM cannot tell from the height what the reporter chose or wrote.
  var FALLBACK_HEIGHT = "40rem";
  var FRAME_HEIGHT = "clamp(20rem, calc(100svh - 2rem), 50rem)";
  // Each widget theme slot, filled from the first NL Design System token the page defines.
  var THEME_SLOTS = {
    "font-family": ["--basis-text-font-family-default", "--nl-document-font-family", "--utrecht-document-font-family"],
    "text-color": ["--basis-color-default-color-document", "--nl-document-color", "--utrecht-document-color"],
    "background-color": ["--basis-color-default-bg-document", "--nl-document-background-color", "--utrecht-document-background-color"],
    "primary-background-color": ["--basis-color-action-1-bg-default", "--nl-button-primary-background-color", "--utrecht-button-primary-action-background-color"],
    "primary-text-color": ["--basis-color-action-1-color-default", "--nl-button-primary-color", "--utrecht-button-primary-action-color"],
    "link-color": ["--basis-color-action-1-color-document", "--nl-link-color", "--utrecht-link-color"],
    "focus-color": ["--basis-focus-outline-color", "--nl-focus-outline-color", "--utrecht-focus-outline-color"],
    "border-radius": ["--basis-border-radius-md", "--nl-button-border-radius", "--utrecht-button-border-radius"]
  };

  function attribute(name) {
    var value = script.getAttribute(name);
    return value ? value.trim() : "";
  }

  var language = (attribute("data-lang") || document.documentElement.lang || "nl").slice(0, 2).toLowerCase();
  var texts = TEXTS[language] || TEXTS.nl || { title: "Fluister", exit: "Exit" };
  // The neutral page to leave for: `data-exit-url` (relative to this page, http or https only).
  var exitUrl = DEFAULT_EXIT_URL;
  try {
    var requestedExit = new URL(attribute("data-exit-url") || DEFAULT_EXIT_URL, location.href);
    if (requestedExit.protocol === "https:" || requestedExit.protocol === "http:") {
      exitUrl = requestedExit.href;
    }
  } catch (error) {
    exitUrl = DEFAULT_EXIT_URL;
  }

  var frame = document.createElement("iframe");
  frame.src = relayOrigin + "/w/?lang=" + encodeURIComponent(language) +
    "&municipality=" + encodeURIComponent(attribute("data-municipality")) +
    // The coordinator's pinned set of readers: the form seals nothing to a relay whose list has
    // another fingerprint. Passed on even when empty or damaged, so it never means "no pin".
    (script.hasAttribute("data-recipients")
      ? "&recipients=" + encodeURIComponent(attribute("data-recipients"))
      : "");
  frame.title = texts.title;
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-top-navigation-by-user-activation");
  frame.setAttribute("allow", "camera 'none'; microphone 'none'; geolocation 'none'");
  frame.className = "fluister-frame";
  frame.style.display = "block";
  frame.style.width = "100%";
  frame.style.minWidth = "0";
  frame.style.border = "0";
  // A browser without `svh` keeps the fallback (it ignores a value it cannot read).
  frame.style.height = FALLBACK_HEIGHT;
  frame.style.height = FRAME_HEIGHT;

  var container = attribute("data-container") && document.getElementById(attribute("data-container"));
  if (container) {
    container.appendChild(frame);
  } else if (script.parentNode) {
    script.parentNode.insertBefore(frame, script.nextSibling);
  }

  var leaving = false;
  function exitNow() {
    if (leaving) {
      return;
    }
    leaving = true;
    // Hide everything at once, then replace this page in the history with a neutral one.
    document.documentElement.style.display = "none";
    location.replace(exitUrl);
  }

  function themeTokens() {
    var computed = getComputedStyle(document.documentElement);
    var tokens = {};
    Object.keys(THEME_SLOTS).forEach(function (slot) {
      var names = THEME_SLOTS[slot];
      for (var index = 0; index < names.length; index += 1) {
        var value = computed.getPropertyValue(names[index]).trim();
        if (value) {
          tokens[slot] = value;
          return;
        }
      }
    });
    return tokens;
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== relayOrigin || event.source !== frame.contentWindow) {
      return;
    }
    var data = event.data;
    if (!data || typeof data.type !== "string") {
      return;
    }
    // Anything else (a `resize` from an older frame included) is ignored: see FRAME_HEIGHT.
    if (data.type === "ready") {
      frame.contentWindow.postMessage({ type: "theme", tokens: themeTokens() }, relayOrigin);
    } else if (data.type === "exit") {
      exitNow();
    }
  });

  // Shift pressed three times within five seconds leaves, here on the host page too.
  var shiftPresses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift") {
      shiftPresses = [];
      return;
    }
    if (event.repeat) {
      return;
    }
    var now = Date.now();
    shiftPresses = shiftPresses.filter(function (time) { return now - time <= 5000; });
    shiftPresses.push(now);
    if (shiftPresses.length >= 3) {
      exitNow();
    }
  });

  // While the top of the form (with its own exit button) is scrolled away, keep an exit
  // button on screen.
  var floatingExit = document.createElement("button");
  floatingExit.type = "button";
  floatingExit.textContent = texts.exit;
  floatingExit.className = "fluister-exit";
  floatingExit.hidden = true;
  var buttonStyle = floatingExit.style;
  buttonStyle.position = "fixed";
  buttonStyle.right = "0.75rem";
  buttonStyle.bottom = "0.75rem";
  buttonStyle.zIndex = "2147483647";
  buttonStyle.minHeight = "44px";
  buttonStyle.padding = "0.5rem 1rem";
  buttonStyle.border = "2px solid #ffffff";
  buttonStyle.borderRadius = "0.25rem";
  buttonStyle.background = "#a8001c";
  buttonStyle.color = "#ffffff";
  buttonStyle.font = "bold 1rem/1.2 system-ui, sans-serif";
  buttonStyle.cursor = "pointer";
  floatingExit.addEventListener("click", exitNow);
  document.body.appendChild(floatingExit);
  function placeFloatingExit() {
    var box = frame.getBoundingClientRect();
    floatingExit.hidden = !(box.top < -48 && box.bottom > 96);
  }
  window.addEventListener("scroll", placeFloatingExit, { passive: true });
  window.addEventListener("resize", placeFloatingExit, { passive: true });
})();
