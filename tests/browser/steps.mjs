// Walking the form as a person would: by accessible names from the translation tables.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/** Runs axe-core in the widget's frame; returns the violations (ids and the nodes' targets). */
export async function accessibilityViolations(frame) {
  const loaded = await frame.evaluate(() => typeof window.axe !== "undefined");
  if (!loaded) {
    // Evaluated through the DevTools protocol, so the frame's CSP does not have to be loosened.
    await frame.evaluate(AXE_SOURCE);
  }
  const violations = await frame.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags } });
    if (result.passes.length < 10) {
      // A run that checked almost nothing proves nothing.
      return [{ id: "axe-did-not-run", help: `only ${result.passes.length} rules passed`, targets: [] }];
    }
    return result.violations.map((violation) => ({
      id: violation.id,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(" ")),
    }));
  }, AXE_TAGS);
  return violations;
}

/** Whether the frame's content is wider than the frame (horizontal scrolling). */
export async function scrollsHorizontally(frame) {
  return frame.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}

/** The answers the end-to-end test types, and the document they must become. */
export const ANSWERS = {
  kind: "labour",
  role: "witness",
  howKnown: "saw_it_myself",
  signals: ["general.no_id_documents", "labour.very_long_days"],
  municipality: "emmen",
  place: "Schuur achter Rolderweg 12",
  date: "2025-03-01",
  ongoing: true,
  whenText: "elke nacht tussen twee en vijf",
  description: "Op de boerderij werken zes mannen 's nachts zonder loon; hun paspoorten liggen bij de baas.",
  contact: "Liever niet bellen, wel via de brievenbus van het buurthuis",
};

/** Clicks the primary button of a step by its label. */
export async function press(frame, name) {
  await frame.getByRole("button", { name, exact: true }).click();
}

/**
 * Presses "next" `times` times, each once the step before has given way to the next one: a
 * press while the next step's wasm chunk is still loading is not counted twice (the first
 * question's chunk is a small one of its own, and the other questions' loads behind it).
 */
export async function pressNext(frame, ui, times = 1) {
  const next = frame.getByRole("button", { name: ui.next, exact: true });
  for (let step = 0; step < times; step += 1) {
    await next.waitFor();
    const heading = await frame.locator("#step-heading").textContent();
    await next.click();
    await frame.waitForFunction((before) => document.getElementById("step-heading")?.textContent !== before, heading);
  }
}

/** Waits for the step whose heading is `heading` and has focus (focus follows each step). */
export async function expectStep(frame, heading) {
  await frame.getByRole("heading", { name: heading, exact: true }).waitFor();
}

/**
 * From the start screen to the review step, answering only the one required question with
 * `description`; `ui` is the language's table.
 */
export async function walkToReview(frame, ui, description) {
  await press(frame, ui.start_button);
  await expectStep(frame, ui.kind_heading);
  await pressNext(frame, ui, 5);
  await expectStep(frame, ui.description_heading);
  await frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill(description);
  await press(frame, ui.next);
  await expectStep(frame, ui.contact_heading);
  await press(frame, ui.next);
  await expectStep(frame, ui.review_heading);
}
