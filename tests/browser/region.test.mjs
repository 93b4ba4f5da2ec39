// Another region is the relay's configuration alone: a relay for Groningen makes the same form
// offer Groningen's municipalities (in the configured order, with "somewhere else" last), drops
// the host page's preset that the relay does not list, and the tip carries the chosen id.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { openExamplePage, readStoredTips, startStack, translations } from "./harness.mjs";
import { expectStep, press, pressNext } from "./steps.mjs";

let stack;
before(async () => {
  stack = await startStack({
    widget: {
      region: "Groningen",
      municipalities: [
        { id: "groningen", name: "Groningen" },
        { id: "het-hogeland", name: "Het Hogeland" },
        { id: "eemsdelta", name: "Eemsdelta" },
      ],
    },
  });
});
after(async () => {
  await stack?.close();
});

test("a relay for another region: the form offers its municipalities and the tip carries the chosen one", async () => {
  const { ui, vocabulary } = translations("nl");
  const { context, frame, problems } = await openExamplePage(stack);
  await press(frame, ui.start_button);
  await expectStep(frame, ui.kind_heading);
  await pressNext(frame, ui, 3);
  await expectStep(frame, ui.place_heading);
  const municipality = frame.getByRole("combobox", { name: ui.municipality_label, exact: true });
  // The example page names Assen, which this relay does not list: no answer is preset.
  assert.equal(await municipality.inputValue(), "");
  const options = await municipality.locator("option").allInnerTexts();
  assert.deepEqual(
    options.map((text) => text.trim()),
    [ui.municipality_none, "Groningen", "Het Hogeland", "Eemsdelta", vocabulary.municipalities.other],
  );
  await municipality.selectOption({ label: "Het Hogeland" });
  await press(frame, ui.next);
  await expectStep(frame, ui.time_heading);
  await press(frame, ui.next);
  await expectStep(frame, ui.description_heading);
  await frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill("Kassen bij Uithuizen: mensen slapen in containers.");
  await press(frame, ui.next);
  await expectStep(frame, ui.contact_heading);
  await press(frame, ui.next);
  await expectStep(frame, ui.review_heading);
  assert.ok(await frame.getByText("Het Hogeland").isVisible(), "the review names the municipality as the relay does");
  await press(frame, ui.send);
  await expectStep(frame, ui.receipt_heading);

  const tips = await readStoredTips(stack);
  assert.equal(tips.length, 1);
  assert.equal(tips[0].document.municipality, "het-hogeland");
  assert.deepEqual(problems, [], "no script errors and no Content Security Policy violations");
  await context.close();
});
