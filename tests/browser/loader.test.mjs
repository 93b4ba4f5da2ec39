// The loader on the host page: the iframe it inserts takes the height of the form inside it,
// from the frame's `resize` messages, so the reporter never scrolls inside a box or misses the
// buttons below a clipped edge. The height follows the form when a step is longer or shorter
// and when an error message appears.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { openExamplePage, startStack, translations } from "./harness.mjs";
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
