// What the host page's scripts can see of the frame does not depend on what the reporter
// chooses or writes. A session-replay script on the host page records the iframe element's
// attributes and size, and every message the frame posts to the page. Before, the frame's height
// followed the form, so the recording showed which kind's signals were listed and how long the
// description was. Here the host page records exactly that (a MutationObserver on the iframe's
// attributes, a ResizeObserver on its box, a listener for messages) through whole runs with
// different kinds, a 10-character and a 2,000-character description, with and without contact
// details, and the recordings must be the same.

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

const { ui, vocabulary } = translations("nl");

/**
 * Runs on the host page before any of its scripts, as a session-replay script would: records
 * the iframe's attributes when it is inserted and every change to them, every size its box
 * takes, and every message from the frame. Only on the host page (init scripts run in frames too).
 */
function recordWhatTheHostSees(hostOrigin) {
  if (location.origin !== hostOrigin) {
    return;
  }
  const seen = [];
  window.__seenByHost = seen;
  const attributes = (frame) =>
    Object.fromEntries(frame.getAttributeNames().filter((name) => name !== "src").map((name) => [name, frame.getAttribute(name)]));
  const watched = new WeakSet();
  const watch = (frame) => {
    if (watched.has(frame)) {
      return;
    }
    watched.add(frame);
    seen.push({ inserted: attributes(frame) });
    new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        seen.push({ attribute: mutation.attributeName, value: frame.getAttribute(mutation.attributeName) });
      }
    }).observe(frame, { attributes: true });
    new ResizeObserver((entries) => {
      for (const entry of entries) {
        seen.push({ box: [entry.contentRect.width, entry.contentRect.height] });
      }
    }).observe(frame);
  };
  new MutationObserver(() => {
    for (const frame of document.querySelectorAll("iframe")) {
      watch(frame);
    }
  }).observe(document, { childList: true, subtree: true });
  window.addEventListener("message", (event) => {
    if (event.origin !== location.origin) {
      seen.push({ message: JSON.stringify(event.data) });
    }
  });
}

/** What the host page has recorded so far, and the iframe's height on it now. */
async function hostView(page) {
  return page.evaluate(() => ({
    recorded: window.__seenByHost.length,
    height: document.querySelector("iframe.fluister-frame").getBoundingClientRect().height,
  }));
}

/** The description of `length` characters, in sentences as a person would write them. */
function descriptionOf(length) {
  const sentence = "Op de boerderij aan de Rolderweg werken mannen 's nachts zonder loon. ";
  return sentence.repeat(Math.ceil(length / sentence.length)).slice(0, length).trimEnd().padEnd(length, ".");
}

/**
 * One whole run, from the start screen to "done", with `kind` (and one of its own signals),
 * a description of `descriptionLength` characters, and contact details or none. Returns what the
 * host page recorded, with the iframe's height at every step.
 */
async function wholeRun({ viewport, kind, signal, descriptionLength, contact }) {
  const { context, page, frame, problems } = await openExamplePage(stack, {
    viewport,
    prepare: (context) => context.addInitScript(recordWhatTheHostSees, stack.page.origin),
  });
  const steps = [["start", await hostView(page)]];
  const reached = async (name) => {
    // Give the page a moment: anything the step changes on the host page would be recorded by now.
    await page.waitForTimeout(150);
    steps.push([name, await hostView(page)]);
  };

  await press(frame, ui.start_button);
  await expectStep(frame, ui.kind_heading);
  await frame.getByRole("checkbox", { name: vocabulary.kinds[kind], exact: true }).check();
  await reached("kind");
  await press(frame, ui.next);
  await expectStep(frame, ui.role_heading);
  await reached("role");
  await press(frame, ui.next);
  await expectStep(frame, ui.signals_heading);
  await frame.getByRole("checkbox", { name: vocabulary.signals[signal].label, exact: true }).check();
  await reached("signals");
  await press(frame, ui.next);
  await expectStep(frame, ui.place_heading);
  await reached("place");
  await press(frame, ui.next);
  await expectStep(frame, ui.time_heading);
  await reached("time");
  await press(frame, ui.next);
  await expectStep(frame, ui.description_heading);
  await press(frame, ui.next);
  await frame.getByText(ui.description_missing).waitFor();
  await reached("description, missing");
  const description = descriptionOf(descriptionLength);
  assert.equal(description.length, descriptionLength);
  await frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill(description);
  await reached("description");
  await press(frame, ui.next);
  await expectStep(frame, ui.contact_heading);
  if (contact) {
    await frame.getByRole("textbox", { name: ui.contact_label, exact: true }).fill(contact);
  }
  await reached("contact");
  await press(frame, ui.next);
  await expectStep(frame, ui.review_heading);
  // The review shows everything typed: the long description makes it far longer inside.
  assert.ok(await frame.getByText(description.slice(0, 40)).isVisible());
  const reviewLength = await frame.evaluate(() => document.documentElement.scrollHeight);
  await reached("review");
  await press(frame, ui.send);
  await expectStep(frame, ui.receipt_heading);
  await reached("receipt");
  await frame.getByRole("checkbox", { name: ui.receipt_confirm, exact: true }).check();
  await press(frame, ui.finish);
  await expectStep(frame, ui.done_heading);
  await reached("done");

  // By kind of record, each in the order seen: when the first box is measured and when the
  // frame's messages arrive depends on how fast the frame loads, not on the reporter.
  const seen = await page.evaluate(() => window.__seenByHost);
  const recording = {
    attributes: seen.filter((entry) => entry.inserted !== undefined || entry.attribute !== undefined),
    boxes: seen.filter((entry) => entry.box !== undefined),
    messages: seen.filter((entry) => entry.message !== undefined),
  };
  assert.deepEqual(problems, []);
  await context.close();
  return { steps, recording, reviewLength };
}

const RUNS = [
  { kind: "sexual", signal: "sexual.forced_sex_or_sex_work", descriptionLength: 10, contact: "" },
  { kind: "labour", signal: "labour.very_long_days", descriptionLength: 2000, contact: "Bel 06-12345678 na zes uur, of mail piet@example.nl" },
  { kind: "criminal", signal: "criminal.forced_to_steal", descriptionLength: 10, contact: "Liever via de brievenbus van het buurthuis" },
  { kind: "organ_removal", signal: "organ_removal.unexplained_surgery_scar", descriptionLength: 2000, contact: "" },
  { kind: "other_unsure", signal: "general.seems_afraid", descriptionLength: 2000, contact: "Alleen overdag, via 0592-123456" },
];

for (const viewport of [{ width: 320, height: 640 }, { width: 1000, height: 900 }]) {
  test(`at ${viewport.width}×${viewport.height} the host page records the same frame heights and messages for every kind, description length and contact choice`, async () => {
    const results = [];
    for (const run of RUNS) {
      results.push({ run, ...(await wholeRun({ viewport, ...run })) });
    }
    const [first, ...others] = results;
    console.log(
      `${viewport.width}×${viewport.height}: heights per step ${JSON.stringify(first.steps.map(([name, view]) => [name, view.height]))}; ` +
        `host recording ${JSON.stringify(first.recording)}; review scroll heights inside the frame ` +
        JSON.stringify(results.map(({ run, reviewLength }) => [run.kind, run.descriptionLength, Boolean(run.contact), reviewLength])),
    );

    // The runs differ inside the frame (a long description makes a far longer review) ...
    const shortReview = results.find(({ run }) => run.descriptionLength === 10).reviewLength;
    const longReview = results.find(({ run }) => run.descriptionLength === 2000).reviewLength;
    assert.ok(longReview > shortReview + 300, `the review inside the frame: ${shortReview} px short, ${longReview} px long`);
    // ... but not on the host page.
    for (const other of others) {
      const what = `${other.run.kind}, ${other.run.descriptionLength} characters, ${other.run.contact ? "with" : "without"} contact details`;
      assert.deepEqual(other.steps, first.steps, `${what}: the iframe's height at each step`);
      assert.deepEqual(other.recording, first.recording, `${what}: what the host page recorded`);
    }

    // One height throughout, set once by the loader; the frame posts nothing but `ready`.
    const heights = new Set(first.steps.map(([, view]) => view.height));
    assert.equal(heights.size, 1, `one height on every step: ${[...heights]}`);
    assert.equal(first.recording.attributes.length, 1, `no attribute of the iframe changed after it was inserted: ${JSON.stringify(first.recording)}`);
    assert.equal(first.recording.boxes.length, 1, `the iframe's box never changed size: ${JSON.stringify(first.recording)}`);
    const messages = first.recording.messages.map((entry) => JSON.parse(entry.message));
    assert.ok(messages.length > 0, "the host page's listener heard the frame");
    assert.ok(messages.every((message) => message.type === "ready" && Object.keys(message).length === 1), JSON.stringify(messages));
  });
}
