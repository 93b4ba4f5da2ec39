// The loader on the host page: the iframe it inserts has one height, set by the loader from the
// host window's size alone (`FRAME_HEIGHT` in `web/embed.js`), never from the form, so the
// host page's scripts cannot learn from it what the reporter chose or wrote
// (`frame-height.test.mjs` records it through whole runs). The form scrolls inside the frame
// under its sticky safety bar: each step starts at its top with focus on its heading, a
// focused field is not hidden under the bar, and a `resize` message (as older frames sent) is
// ignored.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { EXAMPLE_RELAY_ORIGIN, startStaticServer } from "../tools/static-server.mjs";
import { openExamplePage, startStack, translations, widgetFrame, widgetManifest } from "./harness.mjs";
import { expectStep, press, scrollsHorizontally } from "./steps.mjs";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

const { ui, vocabulary } = translations("nl");

/** The iframe element's height on the host page. */
function frameHeight(page) {
  return page.evaluate(() => document.querySelector("iframe.fluister-frame").getBoundingClientRect().height);
}

/** The loader's height for a window `innerHeight` px tall: the window less 2rem, between 20rem
 * and 50rem (rem being the host page's root font size). */
async function expectedHeight(page, innerHeight) {
  const rem = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  return Math.min(Math.max(20 * rem, innerHeight - 2 * rem), 50 * rem);
}

/** Where the frame's document is scrolled, what has focus, and whether the focused element and
 * the exit button are in sight below and in the sticky safety bar. */
function inside(frame) {
  return frame.evaluate(() => {
    const bar = document.querySelector(".safety-bar").getBoundingClientRect();
    const exit = document.querySelector(".exit-button").getBoundingClientRect();
    const focused = document.activeElement.getBoundingClientRect();
    return {
      scrollY: Math.round(window.scrollY),
      scrolls: document.documentElement.scrollHeight > document.documentElement.clientHeight,
      viewportHeight: document.documentElement.clientHeight,
      focusedId: document.activeElement.id,
      exitInSight: exit.top >= 0 && exit.bottom <= window.innerHeight,
      focusedInSight: focused.top >= bar.bottom - 1 && focused.bottom <= window.innerHeight + 1,
      barHeight: Math.round(bar.height),
    };
  });
}

/** Scrolls the frame's document to its end, as a reporter reading the whole step would. */
async function scrollToEnd(frame) {
  await frame.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await frame.waitForFunction(() => window.scrollY > 0);
}

/** Checks a step just opened: it starts at its top, its heading has focus and is in sight, the
 * exit is in sight; the frame's height is still `height`. The start screen, on the page's load,
 * takes no focus from the host page. */
async function expectStepFromTop(page, frame, height, stepName) {
  const opened = stepName !== "start";
  if (opened) {
    await frame.waitForFunction(() => document.activeElement && document.activeElement.id === "step-heading");
  }
  const now = await inside(frame);
  assert.equal(now.scrollY, 0, `${stepName}: the step starts at its top`);
  assert.ok(now.exitInSight, `${stepName}: the exit in sight: ${JSON.stringify(now)}`);
  if (opened) {
    assert.ok(now.focusedInSight, `${stepName}: the heading has focus, in sight: ${JSON.stringify(now)}`);
  }
  assert.equal(await frameHeight(page), height, `${stepName}: the frame's height`);
  assert.equal(await scrollsHorizontally(frame), false, `${stepName}: scrolls sideways`);
}

for (const { width, height, themed } of [
  { width: 320, height: 640, themed: true },
  { width: 1000, height: 900, themed: true },
  { width: 1000, height: 500, themed: false },
]) {
  const host = themed ? "the example page" : "a page without a theme";
  test(`on ${host} at ${width}×${height} the iframe keeps the loader's height on every step; the form scrolls inside it, each step from its top`, async () => {
    const { context, page, frame, problems } = await openExamplePage(stack, { viewport: { width, height }, themed });
    const fixed = await expectedHeight(page, height);
    assert.equal(await frameHeight(page), fixed, "the loader's height, before any message from the frame");
    assert.equal((await inside(frame)).viewportHeight, fixed, "the frame's document sees the same height (no border, no padding)");
    await expectStepFromTop(page, frame, fixed, "start");

    await press(frame, ui.start_button);
    await expectStep(frame, ui.kind_heading);
    await expectStepFromTop(page, frame, fixed, "kind");
    await frame.getByRole("checkbox", { name: vocabulary.kinds.labour, exact: true }).check();
    await press(frame, ui.next);
    await expectStep(frame, ui.role_heading);
    await expectStepFromTop(page, frame, fixed, "role");
    await press(frame, ui.next);
    await expectStep(frame, ui.signals_heading);
    await expectStepFromTop(page, frame, fixed, "signals");
    // Every signal group is listed: longer than the frame, so it scrolls inside it, and the
    // safety bar with the exit stays on screen.
    assert.ok((await inside(frame)).scrolls, "the signals scroll inside the frame");
    await scrollToEnd(frame);
    assert.ok((await inside(frame)).exitInSight, "the exit stays in sight at the end of the signals");
    // A field near the top, focused from the end of the step, scrolls into view below the bar,
    // not under it.
    await frame.getByRole("checkbox", { name: vocabulary.signals["general.cannot_speak_freely"].label, exact: true }).focus();
    const focusedField = await inside(frame);
    assert.ok(focusedField.focusedInSight, `a focused field is not hidden under the safety bar: ${JSON.stringify(focusedField)}`);
    await scrollToEnd(frame);

    // The next step starts at its top, not where the reporter left the last one.
    await press(frame, ui.next);
    await expectStep(frame, ui.place_heading);
    await expectStepFromTop(page, frame, fixed, "place");
    await press(frame, ui.next);
    await expectStep(frame, ui.time_heading);
    await press(frame, ui.next);
    await expectStep(frame, ui.description_heading);
    await expectStepFromTop(page, frame, fixed, "description");
    // "Next" without a description shows an error message on the field: the frame stays.
    await press(frame, ui.next);
    await frame.getByText(ui.description_missing).waitFor();
    assert.equal(await frameHeight(page), fixed, "description, missing: the frame's height");

    // A frame that asks for another height (as older frames did, with their content's height)
    // is not heard: the message comes from the frame's own window and origin, and changes nothing.
    await frame.evaluate(() => {
      window.parent.postMessage({ type: "resize", height: 2264 }, "*");
      window.parent.postMessage({ type: "resize", height: 1 }, "*");
    });
    await page.waitForTimeout(300);
    assert.equal(await frameHeight(page), fixed, "a resize message changes nothing");

    assert.deepEqual(problems, [], "no script errors and no Content Security Policy violations");
    await context.close();
  });
}

// The embedding guide tells webmasters to pin the versioned loader with `integrity` and
// `crossorigin="anonymous"`. The browser checks the hash only if it may read the script, so
// without the relay's CORS header the form would not appear at all and webmasters would drop SRI.
// The pinned pages are served by a municipal web server on the example page's origin (the one
// the relay lets frame the form).
test("a page that pins the versioned loader with Subresource Integrity gets the form; a wrong hash gets none", async () => {
  const manifest = widgetManifest();
  const directory = mkdtempSync(join(tmpdir(), "fluister-pinned-"));
  const pagePinning = (integrity) =>
    `<!doctype html><html lang="nl"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>SRI</title></head><body><main>` +
    `<script src="${EXAMPLE_RELAY_ORIGIN}/${manifest.versioned_loader}" integrity="${integrity}" ` +
    `crossorigin="anonymous" data-lang="nl" data-exit-url="neutral.html"></script></main></body></html>`;
  writeFileSync(join(directory, "pinned-right.html"), pagePinning(manifest.loader_integrity));
  writeFileSync(join(directory, "pinned-wrong.html"), pagePinning(`sha384-${"A".repeat(64)}`));
  const port = Number(new URL(stack.page.origin).port);
  await stack.page.close();
  stack.page = await startStaticServer({ directory, relayOrigin: stack.relay.origin, port });

  const context = await stack.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("console", (message) => {
    if (message.type() === "error") {
      errors.push(message.text());
    }
  });
  await page.goto(`${stack.page.origin}/pinned-right.html`);
  const frame = await widgetFrame(page, stack.relay.origin);
  await expectStep(frame, ui.start_heading);
  assert.deepEqual(errors, [], "the pinned loader loads without errors");

  await page.goto(`${stack.page.origin}/pinned-wrong.html`);
  for (let attempt = 0; attempt < 40 && errors.length === 0; attempt += 1) {
    await page.waitForTimeout(50);
  }
  assert.match(errors.join("\n"), /integrity/i, "the browser refused the loader for its hash");
  assert.equal(await page.locator("iframe").count(), 0, "a loader that does not match its hash inserts no form");
  await context.close();
  rmSync(directory, { recursive: true, force: true });
});
