// The end-to-end proof: the example municipal page (its own origin) embeds the widget from the
// real relay; a tip typed by accessible names is sealed in the browser, only an age file
// leaves the page, the host page cannot read the form, and the reference `age -d` opens the
// stored tip to exactly what was typed.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { openExamplePage, readStoredTips, startStack, translations } from "./harness.mjs";
import { ANSWERS, expectStep, press } from "./steps.mjs";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

test("a tip filled in by accessible names reaches the coordinator sealed, and only ciphertext leaves the page", async () => {
  const { ui, vocabulary } = translations("nl");
  const { context, page, frame, problems } = await openExamplePage(stack);
  const postedBodies = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().endsWith("/api/v1/tips")) {
      postedBodies.push(request.postDataBuffer());
    }
  });
  const requestsToHost = [];
  page.on("request", (request) => {
    if (request.url().startsWith(stack.page.origin) && request.method() !== "GET") {
      requestsToHost.push(request.url());
    }
  });

  await press(frame, ui.start_button);
  await expectStep(frame, ui.kind_heading);
  await frame.getByRole("checkbox", { name: vocabulary.kinds[ANSWERS.kind], exact: true }).check();
  await press(frame, ui.next);
  await expectStep(frame, ui.role_heading);
  await frame.getByRole("radio", { name: vocabulary.roles[ANSWERS.role], exact: true }).check();
  await frame.getByRole("radio", { name: vocabulary.how_known[ANSWERS.howKnown], exact: true }).check();
  await press(frame, ui.next);
  await expectStep(frame, ui.signals_heading);
  for (const signal of ANSWERS.signals) {
    await frame.getByRole("checkbox", { name: vocabulary.signals[signal].label, exact: true }).check();
  }
  await press(frame, ui.next);
  await expectStep(frame, ui.place_heading);
  // The page named Assen; the reporter picks Emmen instead.
  const municipality = frame.getByRole("combobox", { name: ui.municipality_label, exact: true });
  assert.equal(await municipality.inputValue(), "assen");
  await municipality.selectOption({ label: "Emmen" });
  await frame.getByRole("textbox", { name: ui.place_label, exact: true }).fill(ANSWERS.place);
  await press(frame, ui.next);
  await expectStep(frame, ui.time_heading);
  await frame.getByLabel(ui.date_label, { exact: true }).fill(ANSWERS.date);
  await frame.getByRole("checkbox", { name: ui.ongoing_label, exact: true }).check();
  await frame.getByRole("textbox", { name: ui.when_text_label, exact: true }).fill(ANSWERS.whenText);
  await press(frame, ui.next);
  await expectStep(frame, ui.description_heading);

  // The description is required: "next" without it shows the error on the field.
  await press(frame, ui.next);
  const description = frame.getByRole("textbox", { name: new RegExp(ui.description_label) });
  assert.equal(await description.getAttribute("aria-invalid"), "true");
  assert.ok(await frame.getByText(ui.description_missing).isVisible());
  await description.fill(ANSWERS.description);

  // The host page cannot read the form, not even while it holds typed text.
  const hostAttempt = await page.evaluate(() => {
    const frameElement = document.querySelector("iframe.fluister-frame");
    let error = "none";
    try {
      error = frameElement.contentWindow.document.body.innerText;
    } catch (caught) {
      error = caught.name;
    }
    return { contentDocument: frameElement.contentDocument === null, error };
  });
  assert.deepEqual(hostAttempt, { contentDocument: true, error: "SecurityError" });

  await press(frame, ui.next);
  await expectStep(frame, ui.contact_heading);
  await frame.getByRole("textbox", { name: ui.contact_label, exact: true }).fill(ANSWERS.contact);
  await press(frame, ui.next);
  await expectStep(frame, ui.review_heading);
  assert.ok(await frame.getByText(ANSWERS.description).isVisible());
  await press(frame, ui.send);

  await expectStep(frame, ui.receipt_heading);
  const receiptCode = (await frame.locator("#receipt-code").innerText()).trim();
  assert.match(receiptCode, /^[0-9A-Z]{4}([- ][0-9A-Z]{4})+$/);
  // "Done" only after confirming the code is written down.
  await press(frame, ui.finish);
  assert.ok(await frame.getByText(ui.receipt_confirm_missing).isVisible());
  await frame.getByRole("checkbox", { name: ui.receipt_confirm, exact: true }).check();
  await press(frame, ui.finish);
  await expectStep(frame, ui.done_heading);

  // Only an age file left the page, with none of the typed text in it.
  assert.equal(postedBodies.length, 1);
  const body = postedBodies[0];
  assert.ok(body.subarray(0, 22).equals(Buffer.from("age-encryption.org/v1\n")));
  for (const typed of [ANSWERS.place, ANSWERS.whenText, ANSWERS.description, ANSWERS.contact, "boerderij", "Rolderweg", "labour", "emmen"]) {
    assert.equal(body.includes(Buffer.from(typed)), false, `the POST body contains "${typed}"`);
  }
  assert.deepEqual(requestsToHost, [], "nothing was sent to the host page's server");

  // The coordinator opens it with the reference age tool and the demo key: every field as typed.
  const tips = await readStoredTips(stack);
  assert.equal(tips.length, 1);
  assert.ok(tips[0].sealed.equals(body));
  // The tip says where the coordinator can answer: the mailbox and the reporter's reply key, both
  // derived from the receipt code (the mailbox loop itself is in mailbox.test.mjs).
  const { reply, ...answers } = tips[0].document;
  assert.match(reply.mailbox, /^[0-9a-f]{64}$/);
  assert.match(reply.recipient, /^age1[02-9ac-hj-np-z]{58}$/);
  assert.deepEqual(answers, {
    v: 1,
    kinds: [ANSWERS.kind],
    role: ANSWERS.role,
    how_known: ANSWERS.howKnown,
    signals: ANSWERS.signals,
    municipality: ANSWERS.municipality,
    when: { date: ANSWERS.date, ongoing: true, text: ANSWERS.whenText },
    where: ANSWERS.place,
    text: ANSWERS.description,
    contact: ANSWERS.contact,
  });
  assert.deepEqual(problems, [], "no script errors and no Content Security Policy violations");
  await context.close();
});
