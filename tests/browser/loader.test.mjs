// The loader on the host page: the iframe it inserts takes the height of the form inside it,
// from the frame's `resize` messages, so the reporter never scrolls inside a box or misses the
// buttons below a clipped edge. The height follows the form when a step is longer or shorter
// and when an error message appears.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { EXAMPLE_RELAY_ORIGIN, startStaticServer } from "../tools/static-server.mjs";
import { openExamplePage, startStack, translations, widgetFrame, widgetManifest } from "./harness.mjs";
import { expectStep, press } from "./steps.mjs";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

const { ui } = translations("nl");

/** The iframe element's height on the host page, and how tall the form inside it is. */
async function heights(page, frame) {
  const frameElement = await page.evaluate(
    () => document.querySelector("iframe.fluister-frame").getBoundingClientRect().height,
  );
  const inside = await frame.evaluate(() => ({
    // Taller than the frame when something is clipped or scrolls inside it.
    scrollHeight: document.documentElement.scrollHeight,
    // Below this there is only blank space.
    formBottom: document.getElementById("fluister-widget").getBoundingClientRect().bottom + window.scrollY,
  }));
  return { frameElement, ...inside };
}

function fits({ frameElement, scrollHeight, formBottom }) {
  return Math.abs(frameElement - scrollHeight) <= 2 && Math.abs(frameElement - formBottom) <= 2;
}

/** Measures until `expected` holds (the frame's messages arrive asynchronously), for at most
 * five seconds; returns the last measurement either way, for the assertions to judge. */
async function measureUntil(page, frame, expected) {
  let measurement;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    measurement = await heights(page, frame);
    if (expected(measurement)) {
      break;
    }
    await page.waitForTimeout(50);
  }
  return measurement;
}

function assertFits(measurement, stepName) {
  assert.ok(
    fits(measurement),
    `${stepName}: the iframe is ${measurement.frameElement} px tall on the host page, but the form ` +
      `inside it ends at ${measurement.formBottom} px (document scroll height ${measurement.scrollHeight} px)`,
  );
}

// Without a theme nothing in the frame changes when the loader's first message arrives, so the
// height must be reported then: a resize observed before that had nowhere to go.
for (const { width, themed } of [{ width: 320, themed: true }, { width: 1000, themed: true }, { width: 1000, themed: false }]) {
  const host = themed ? "the example page" : "a page without a theme";
  test(`on ${host} at ${width} px the iframe is as tall as the form: it grows with a longer step and an error message, and shrinks back`, async () => {
    const { context, page, frame, problems } = await openExamplePage(stack, { viewport: { width, height: 800 }, themed });

    const start = await measureUntil(page, frame, fits);
    assertFits(start, "start");

    await press(frame, ui.start_button);
    await expectStep(frame, ui.kind_heading);
    await press(frame, ui.next);
    await expectStep(frame, ui.role_heading);
    await press(frame, ui.next);
    await expectStep(frame, ui.signals_heading);
    // Every signal group is listed: far longer than the start.
    const signals = await measureUntil(page, frame, (now) => fits(now) && now.frameElement > start.frameElement + 300);
    assertFits(signals, "signals");
    assert.ok(signals.frameElement > start.frameElement + 300, `the iframe did not grow for the signals (${start.frameElement} px → ${signals.frameElement} px)`);

    await press(frame, ui.next);
    await expectStep(frame, ui.place_heading);
    const place = await measureUntil(page, frame, (now) => fits(now) && now.frameElement < signals.frameElement - 300);
    assertFits(place, "place");
    assert.ok(place.frameElement < signals.frameElement - 300, `the iframe did not shrink after the signals (${signals.frameElement} px → ${place.frameElement} px)`);

    await press(frame, ui.next);
    await expectStep(frame, ui.time_heading);
    await press(frame, ui.next);
    await expectStep(frame, ui.description_heading);
    const description = await measureUntil(page, frame, fits);
    assertFits(description, "description");
    // "Next" without a description shows an error message on the field.
    await press(frame, ui.next);
    await frame.getByText(ui.description_missing).waitFor();
    const missing = await measureUntil(page, frame, (now) => fits(now) && now.frameElement > description.frameElement);
    assertFits(missing, "description, missing");
    assert.ok(missing.frameElement > description.frameElement, `the iframe did not grow for the error message (${description.frameElement} px → ${missing.frameElement} px)`);

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
