// Several kinds, the newer signals and "how do you know this?", in a real Chromium: two kinds
// ticked show both kinds' signals and no others; "under 18" points to Veilig Thuis; a report about
// the reporter speaks in the first person; axe-core finds nothing on the changed steps at 320 px;
// and the tip, sealed in the browser and sent through the real relay, opens with the reference
// `age -d` to exactly those answers and shows in Dutch in `fluister-inbox show`.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { openExamplePage, readStoredTips, runInbox, startStack, translations } from "./harness.mjs";
import { accessibilityViolations, expectStep, press, scrollsHorizontally } from "./steps.mjs";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

const NARROW = { viewport: { width: 320, height: 640 } };

async function checkStep(frame, stepName) {
  const violations = await accessibilityViolations(frame);
  assert.deepEqual(violations, [], `${stepName}: ${JSON.stringify(violations, null, 2)}`);
  assert.equal(await scrollsHorizontally(frame), false, `${stepName}: scrolls sideways at 320 px`);
}

test("two kinds, new signals and how the reporter knows reach the coordinator, shown in Dutch", async () => {
  const { ui, vocabulary } = translations("nl");
  const { context, frame, problems } = await openExamplePage(stack, NARROW);
  await press(frame, ui.start_button);
  await expectStep(frame, ui.kind_heading);
  assert.ok(await frame.getByText(ui.kind_hint, { exact: true }).isVisible());
  for (const kind of ["sexual", "criminal"]) {
    const checkbox = frame.getByRole("checkbox", { name: vocabulary.kinds[kind], exact: true });
    await checkbox.check();
    // The example line is the checkbox's description.
    assert.equal(await checkbox.getAttribute("aria-describedby"), `kind-${kind}-example`);
    assert.equal((await frame.locator(`#kind-${kind}-example`).innerText()).trim(), vocabulary.kind_examples[kind]);
  }
  // Ticking one more and taking it back leaves the two.
  await frame.getByRole("checkbox", { name: vocabulary.kinds.labour, exact: true }).check();
  await frame.getByRole("checkbox", { name: vocabulary.kinds.labour, exact: true }).uncheck();
  await checkStep(frame, "kind, two ticked");
  await press(frame, ui.next);

  await expectStep(frame, ui.role_heading);
  await frame.getByRole("radio", { name: vocabulary.roles.someone_i_know, exact: true }).check();
  await frame.getByRole("group", { name: ui.how_known_heading }).waitFor();
  await frame.getByRole("radio", { name: vocabulary.how_known.person_told_me, exact: true }).check();
  await checkStep(frame, "role and how you know");
  await press(frame, ui.next);

  await expectStep(frame, ui.signals_heading);
  // The general signals and both chosen kinds' own; not labour's or organ removal's.
  const groups = await frame.locator("fieldset.signal-group legend").allInnerTexts();
  assert.deepEqual(
    groups.map((text) => text.trim()),
    [vocabulary.signal_groups.general, vocabulary.signal_groups.sexual, vocabulary.signal_groups.criminal],
  );
  assert.equal(await frame.getByRole("checkbox", { name: vocabulary.signals["labour.overcrowded_housing"].label }).count(), 0);
  const note = frame.locator("#signals-minor-note");
  assert.equal(await note.count(), 0, "the Veilig Thuis note waits for 'under 18'");
  await frame.getByRole("checkbox", { name: vocabulary.signals["general.under_18"].label, exact: true }).check();
  await note.waitFor();
  assert.ok((await note.innerText()).includes(ui.signals_minor_note));
  assert.equal(await note.getByRole("link", { name: "0800-2000" }).getAttribute("href"), "tel:08002000");
  for (const signal of ["general.isolated_from_family_and_friends", "criminal.forced_begging", "criminal.benefit_or_identity_fraud"]) {
    await frame.getByRole("checkbox", { name: vocabulary.signals[signal].label, exact: true }).check();
  }
  await checkStep(frame, "signals, with the Veilig Thuis note");
  await press(frame, ui.next);

  for (const heading of [ui.place_heading, ui.time_heading]) {
    await expectStep(frame, heading);
    await press(frame, ui.next);
  }
  await expectStep(frame, ui.description_heading);
  const text = "Een meisje van 16 bedelt bij het station en wordt 's avonds opgehaald. soorten-3381";
  await frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill(text);
  await press(frame, ui.next);
  await expectStep(frame, ui.contact_heading);
  await press(frame, ui.next);
  await expectStep(frame, ui.review_heading);
  const review = await frame.locator(".review-row").allInnerTexts();
  const rowOf = (question) => review.find((row) => row.startsWith(question)) ?? "";
  assert.ok(rowOf(ui.review_kind).includes(`${vocabulary.kinds.sexual}; ${vocabulary.kinds.criminal}`), review.join("\n"));
  assert.ok(rowOf(ui.review_how_known).includes(vocabulary.how_known.person_told_me), review.join("\n"));
  assert.ok(rowOf(ui.review_signals).includes(vocabulary.signals["criminal.forced_begging"].label), review.join("\n"));
  await checkStep(frame, "review");
  await press(frame, ui.send);
  await expectStep(frame, ui.receipt_heading);
  await frame.getByRole("checkbox", { name: ui.receipt_confirm, exact: true }).check();
  await press(frame, ui.finish);
  await expectStep(frame, ui.done_heading);

  // The reference age opens what the relay stored: exactly the answers given.
  const tip = (await readStoredTips(stack)).find((stored) => stored.document.text === text);
  assert.ok(tip, "the tip was stored on the relay");
  assert.deepEqual(tip.document.kinds, ["sexual", "criminal"]);
  assert.equal(tip.document.kind, undefined);
  assert.equal(tip.document.role, "someone_i_know");
  assert.equal(tip.document.how_known, "person_told_me");
  assert.deepEqual(tip.document.signals, [
    "general.under_18",
    "general.isolated_from_family_and_friends",
    "criminal.forced_begging",
    "criminal.benefit_or_identity_fraud",
  ]);

  // The coordinator's inbox fetches it and shows it in Dutch.
  const pulled = runInbox(stack, ["pull"]);
  const number = /numbers? (\d+)/.exec(pulled)?.[1];
  assert.ok(number, pulled);
  const shown = runInbox(stack, ["show", number], { language: "nl" });
  for (const expected of [
    "Seksuele uitbuiting, Criminele uitbuiting",
    "Hoe weet de melder dit:",
    "De persoon heeft het mij verteld",
    "Is jonger dan 18 jaar",
    "Heeft geen contact met familie of vrienden",
    "Moet bedelen",
    "Fraude met uitkering of identiteit",
    "soorten-3381",
  ]) {
    assert.ok(shown.includes(expected), `show lacks ${expected}:\n${shown}`);
  }
  assert.deepEqual(problems, [], "no script errors and no Content Security Policy violations");
  await context.close();
});

for (const language of ["nl", "pl", "ro", "bg", "en"]) {
  test(`a report about the reporter words the signals in the first person (${language})`, async () => {
    const { ui, vocabulary } = translations(language);
    const { context, frame } = await openExamplePage(stack, NARROW);
    if (language !== "nl") {
      const dutch = translations("nl").ui;
      await frame.getByRole("combobox", { name: dutch.language_label, exact: true }).selectOption(language);
      await expectStep(frame, ui.start_heading);
    }
    await press(frame, ui.start_button);
    await expectStep(frame, ui.kind_heading);
    await frame.getByRole("checkbox", { name: vocabulary.kinds.labour, exact: true }).check();
    await press(frame, ui.next);
    await expectStep(frame, ui.role_heading);
    const howKnown = frame.getByRole("group", { name: ui.how_known_heading, exact: true });
    const roles = frame.getByRole("group", { name: ui.role_heading, exact: true });
    // "How do you know this?" is asked of others; its answer chosen first is cleared when the
    // report turns out to be about the reporter, whose role already says so.
    await roles.getByRole("radio", { name: vocabulary.roles.witness, exact: true }).check();
    await howKnown.getByRole("radio", { name: vocabulary.how_known.saw_it_myself, exact: true }).check();
    await roles.getByRole("radio", { name: vocabulary.roles.about_me, exact: true }).check();
    await howKnown.waitFor({ state: "detached" });
    // The same words now stand once on the step: the role's.
    assert.equal(await frame.getByRole("radio", { name: vocabulary.how_known.about_me, exact: true }).count(), 1);
    await press(frame, ui.next);
    await expectStep(frame, ui.signals_heading_me);
    for (const signal of ["general.seems_afraid", "labour.no_contract_or_unreadable", "general.under_18"]) {
      const checkbox = frame.getByRole("checkbox", { name: vocabulary.signals[signal].label_me, exact: true });
      await checkbox.check();
      // The explanations speak of "the person", so a first-person list leaves them out.
      assert.equal(await checkbox.getAttribute("aria-describedby"), null);
    }
    assert.equal(await frame.getByText(vocabulary.signals["general.seems_afraid"].explanation).count(), 0);
    await frame.locator("#signals-minor-note").waitFor();
    await checkStep(frame, `${language}, signals in the first person`);
    await press(frame, ui.next);
    for (const heading of [ui.place_heading, ui.time_heading]) {
      await expectStep(frame, heading);
      await press(frame, ui.next);
    }
    await expectStep(frame, ui.description_heading);
    await frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill(`test ${language}`);
    await press(frame, ui.next);
    await expectStep(frame, ui.contact_heading);
    await press(frame, ui.next);
    await expectStep(frame, ui.review_heading);
    assert.ok(await frame.getByText(vocabulary.signals["general.seems_afraid"].label_me, { exact: false }).first().isVisible());
    // The cleared answer is not sent.
    assert.equal(await frame.getByText(ui.review_how_known, { exact: false }).count(), 0);
    await checkStep(frame, `${language}, review in the first person`);
    await context.close();
  });
}
