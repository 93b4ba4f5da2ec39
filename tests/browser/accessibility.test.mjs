// Accessibility: axe-core (WCAG 2.0/2.1 A and AA, 2.2 AA) finds nothing on any step (checking
// for an answer included), error state included, in every language of the form (Arabic right to
// left), at 320 px wide without horizontal scrolling (sending while the mailbox for answers is set
// up, and the receipt without a mailbox, too); in Arabic the whole frame is mirrored (its root
// has `dir="rtl"`; the progress bar, the buttons, the safety bar and the choices sit the other way
// round than in Dutch, measured on screen) while the receipt code and phone numbers stay left to
// right; and a keyboard-only run completes a tip.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { LANGUAGES, RIGHT_TO_LEFT, openExamplePage, readStoredTips, startStack, translations } from "./harness.mjs";
import { accessibilityViolations, expectStep, press, scrollsHorizontally, walkToReview } from "./steps.mjs";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

async function checkStep(frame, language, stepName) {
  const violations = await accessibilityViolations(frame);
  assert.deepEqual(violations, [], `${language}, ${stepName}: ${JSON.stringify(violations, null, 2)}`);
  assert.equal(await scrollsHorizontally(frame), false, `${language}, ${stepName}: scrolls sideways at 320 px`);
}

for (const language of LANGUAGES) {
  test(`every step in ${language} passes axe-core at 320 px wide`, async () => {
    const { ui, vocabulary } = translations(language);
    const { context, frame, problems } = await openExamplePage(stack, { viewport: { width: 320, height: 640 } });
    if (language !== "nl") {
      const dutch = translations("nl").ui;
      await frame.getByRole("combobox", { name: dutch.language_label, exact: true }).selectOption(language);
      await expectStep(frame, ui.start_heading);
      assert.equal(await frame.evaluate(() => document.documentElement.lang), language);
    }
    assert.equal(
      await frame.evaluate(() => document.documentElement.dir),
      RIGHT_TO_LEFT.includes(language) ? "rtl" : "ltr",
      `${language}: the frame's root has the language's direction`,
    );
    await checkStep(frame, language, "start");
    await press(frame, ui.start_button);
    await expectStep(frame, ui.kind_heading);
    await frame.getByRole("checkbox", { name: vocabulary.kinds.other_unsure, exact: true }).check();
    await checkStep(frame, language, "kind");
    await press(frame, ui.next);
    await expectStep(frame, ui.role_heading);
    await checkStep(frame, language, "role");
    await press(frame, ui.next);
    await expectStep(frame, ui.signals_heading);
    await checkStep(frame, language, "signals (all groups)");
    await press(frame, ui.next);
    await expectStep(frame, ui.place_heading);
    await checkStep(frame, language, "place");
    await press(frame, ui.next);
    await expectStep(frame, ui.time_heading);
    await checkStep(frame, language, "time");
    await press(frame, ui.next);
    await expectStep(frame, ui.description_heading);
    await checkStep(frame, language, "description");
    await press(frame, ui.next);
    await frame.getByText(ui.description_missing).waitFor();
    await checkStep(frame, language, "description, missing");
    await frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill(`test ${language}`);
    await press(frame, ui.next);
    await expectStep(frame, ui.contact_heading);
    await checkStep(frame, language, "contact");
    await press(frame, ui.next);
    await expectStep(frame, ui.review_heading);
    await checkStep(frame, language, "review");
    await press(frame, ui.send);
    await expectStep(frame, ui.receipt_heading);
    const receiptCode = (await frame.locator("#receipt-code").innerText()).trim();
    // The code is Latin letters and digits: left to right, isolated, in every language.
    assert.deepEqual(
      await frame.locator("#receipt-code bdi").evaluate((code) => [code.dir, getComputedStyle(code).direction, getComputedStyle(code).unicodeBidi]),
      ["ltr", "ltr", "isolate"],
    );
    await frame.locator("#mailbox-status", { hasText: ui.mailbox_open }).waitFor({ timeout: 60000 });
    await checkStep(frame, language, "receipt");
    await press(frame, ui.finish);
    await frame.getByText(ui.receipt_confirm_missing).waitFor();
    await checkStep(frame, language, "receipt, not confirmed");
    await frame.getByRole("checkbox", { name: ui.receipt_confirm, exact: true }).check();
    await press(frame, ui.finish);
    await expectStep(frame, ui.done_heading);
    await checkStep(frame, language, "done");

    // Checking for an answer with the code: the code step (empty, then with its error), and
    // the mailbox without messages (with the missing-answer error).
    await press(frame, ui.new_report);
    await expectStep(frame, ui.start_heading);
    await press(frame, ui.start_check_button);
    await expectStep(frame, ui.check_heading);
    await checkStep(frame, language, "check for an answer");
    await press(frame, ui.check_button);
    await frame.getByText(ui.check_code_missing).waitFor();
    await checkStep(frame, language, "check for an answer, code missing");
    await frame.getByRole("textbox", { name: ui.check_code_label, exact: true }).fill(receiptCode);
    await press(frame, ui.check_button);
    await expectStep(frame, ui.conversation_heading);
    assert.ok(await frame.getByText(ui.conversation_empty).isVisible());
    await checkStep(frame, language, "mailbox");
    await press(frame, ui.answer_send);
    await frame.getByText(ui.answer_missing).waitFor();
    await checkStep(frame, language, "mailbox, answer missing");
    assert.deepEqual(problems, []);
    await context.close();
  });
}

for (const language of LANGUAGES) {
  test(`waiting for the mailbox, and a receipt without one, in ${language} pass axe-core at 320 px wide`, async () => {
    const { ui } = translations(language);
    const { context, frame, problems } = await openExamplePage(stack, { viewport: { width: 320, height: 640 } });
    // The relay holds the mailbox registration, then refuses it.
    let release;
    const released = new Promise((resolve) => {
      release = resolve;
    });
    await context.route("**/api/v1/mailboxes", async (route) => {
      if (route.request().method() !== "POST") {
        return route.continue();
      }
      await released;
      return route.fulfill({
        status: 409,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "mailbox_conflict", message: "This mailbox exists with another token." } }),
      });
    });
    if (language !== "nl") {
      const dutch = translations("nl").ui;
      await frame.getByRole("combobox", { name: dutch.language_label, exact: true }).selectOption(language);
      await expectStep(frame, ui.start_heading);
    }
    await walkToReview(frame, ui, `test ${language}`);
    await press(frame, ui.send);
    await frame.locator("#sending-status", { hasText: ui.sending_mailbox }).waitFor();
    await checkStep(frame, language, "sending, waiting for the mailbox");
    release();
    await expectStep(frame, ui.receipt_heading);
    await frame.getByText(ui.receipt_no_mailbox_refused).waitFor();
    await checkStep(frame, language, "receipt without a mailbox");
    await press(frame, ui.finish);
    await expectStep(frame, ui.done_heading);
    // The browser's own note on the refusal, and nothing else.
    assert.deepEqual(problems, ["Failed to load resource: the server responded with a status of 409 (Conflict)"]);
    await context.close();
  });
}

/**
 * Which end of `element`'s box is drawn darker (the filled part of a progress bar): its left and
 * right ends are read from a screenshot of it, decoded on a blank page of the same browser.
 */
async function darkerEnd(context, element) {
  const png = await element.screenshot();
  const probe = await context.newPage();
  const [left, right] = await probe.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const drawing = canvas.getContext("2d");
    drawing.drawImage(image, 0, 0);
    const y = Math.floor(image.height / 2);
    const lightness = (x) => {
      const [red, green, blue] = drawing.getImageData(x, y, 1, 1).data;
      return 0.2126 * red + 0.7152 * green + 0.0722 * blue;
    };
    return [lightness(3), lightness(image.width - 4)];
  }, png.toString("base64"));
  await probe.close();
  assert.ok(Math.abs(left - right) > 40, `one end of the bar is filled (lightness ${left} and ${right})`);
  return left < right ? "left" : "right";
}

/** Where things are on the first question, in the frame's coordinates. */
function questionLayout(frame) {
  return frame.evaluate(() => {
    const box = (element) => element.getBoundingClientRect();
    const text = (element) => {
      const range = document.createRange();
      range.selectNodeContents(element);
      return range.getBoundingClientRect();
    };
    const heading = document.querySelector("#step-heading");
    const firstChoice = document.querySelector(".choice");
    const edges = (rect) => ({ left: rect.left, right: rect.right, top: rect.top });
    return {
      dir: document.documentElement.dir,
      lang: document.documentElement.lang,
      back: box(document.querySelector(".step-buttons .button-secondary")).x,
      next: box(document.querySelector(".step-buttons .button-primary")).x,
      bar: edges(box(document.querySelector(".safety-bar"))),
      danger: edges(text(document.querySelector(".danger"))),
      exit: edges(box(document.querySelector(".exit-button"))),
      radio: box(firstChoice.querySelector("input")).x,
      radioLabel: box(firstChoice.querySelector("label")).x,
      headingBox: [box(heading).left, box(heading).right],
      headingText: [text(heading).left, text(heading).right],
      progressDirection: getComputedStyle(document.querySelector("progress")).direction,
      emergencyNumber: [document.querySelector(".danger-number").dir, getComputedStyle(document.querySelector(".danger-number")).unicodeBidi],
    };
  });
}

test("in Arabic the whole frame is mirrored at 320 px: the root says dir=rtl, and the progress bar, buttons, safety bar and choices sit the other way round", async () => {
  const screenshots = {};
  const layouts = {};
  for (const language of ["nl", "ar"]) {
    const { ui, vocabulary } = translations(language);
    const { context, page, frame, problems } = await openExamplePage(stack, { viewport: { width: 320, height: 640 } });
    if (language !== "nl") {
      await frame.getByRole("combobox", { name: translations("nl").ui.language_label, exact: true }).selectOption(language);
      await expectStep(frame, ui.start_heading);
    }
    // The phone numbers keep their digits and spaces in order inside right-to-left text.
    for (const link of await frame.locator(".alternatives a").all()) {
      assert.deepEqual(await link.evaluate((element) => [element.dir, getComputedStyle(element).direction]), ["ltr", "ltr"]);
    }
    await press(frame, ui.start_button);
    await expectStep(frame, ui.kind_heading);
    await frame.getByRole("checkbox", { name: vocabulary.kinds.labour, exact: true }).check();
    layouts[language] = await questionLayout(frame);
    layouts[language].progressFilled = await darkerEnd(context, frame.locator("progress"));
    assert.equal(await scrollsHorizontally(frame), false, `${language}: scrolls sideways at 320 px`);
    screenshots[language] = `/tmp/fluister-${language}-question-1-320px.png`;
    await page.locator("iframe.fluister-frame").screenshot({ path: screenshots[language] });
    assert.deepEqual(problems, []);
    await context.close();
  }
  const { nl, ar } = layouts;
  assert.deepEqual([nl.dir, nl.lang, ar.dir, ar.lang], ["ltr", "nl", "rtl", "ar"]);
  // The progress bar fills from the right in Arabic, from the left in Dutch.
  assert.deepEqual([nl.progressDirection, ar.progressDirection], ["ltr", "rtl"]);
  assert.deepEqual([nl.progressFilled, ar.progressFilled], ["left", "right"]);
  // "Back" comes first in reading order: on the left in Dutch, on the right in Arabic.
  assert.ok(nl.back < nl.next, JSON.stringify(nl));
  assert.ok(ar.back > ar.next, JSON.stringify(ar));
  // The danger line starts the safety bar at its inline start (left in Dutch, right in Arabic);
  // the exit button follows it on the same row towards the inline end, or starts the next row
  // at the inline start again.
  for (const layout of [nl, ar]) {
    const rightToLeft = layout.dir === "rtl";
    const atStart = (edge) => Math.abs(rightToLeft ? edge.right - layout.bar.right : edge.left - layout.bar.left) < 2;
    assert.ok(atStart(layout.danger), JSON.stringify(layout));
    if (Math.abs(layout.exit.top - layout.danger.top) < 8) {
      assert.ok(rightToLeft ? layout.exit.right < layout.danger.left : layout.exit.left > layout.danger.right, JSON.stringify(layout));
    } else {
      assert.ok(atStart(layout.exit), JSON.stringify(layout));
    }
  }
  // A choice's box (here a kind's checkbox) stands before its label.
  assert.ok(nl.radio < nl.radioLabel, JSON.stringify(nl));
  assert.ok(ar.radio > ar.radioLabel, JSON.stringify(ar));
  // Headings start at the inline start: the text hugs the left edge in Dutch, the right in Arabic.
  assert.ok(Math.abs(nl.headingText[0] - nl.headingBox[0]) < 2, JSON.stringify(nl));
  assert.ok(Math.abs(ar.headingText[1] - ar.headingBox[1]) < 2, JSON.stringify(ar));
  // 112 stays one left-to-right number, isolated from the text around it.
  assert.deepEqual(ar.emergencyNumber, ["ltr", "isolate"]);
  console.log(`screenshots: ${screenshots.nl} ${screenshots.ar}`);
});

/** Presses Tab until the focused element in the widget is named `name`; fails after 80. */
async function tabTo(page, frame, name) {
  for (let presses = 0; presses < 80; presses += 1) {
    await page.keyboard.press("Tab");
    const focused = await frame.evaluate(() => {
      const element = document.activeElement;
      if (!document.hasFocus() || !element || element === document.body) {
        return "";
      }
      const label = element.labels && element.labels.length ? element.labels[0].innerText : "";
      return (label || element.innerText || "").trim();
    });
    if (focused.startsWith(name)) {
      return;
    }
  }
  assert.fail(`Tab never reached "${name}"`);
}

test("a keyboard-only run completes a tip", async () => {
  const { ui, vocabulary } = translations("nl");
  const { context, page, frame } = await openExamplePage(stack);
  await page.locator("h1").click();
  await tabTo(page, frame, ui.start_button);
  await page.keyboard.press("Enter");
  await expectStep(frame, ui.kind_heading);
  // Focus moves to the new step's heading (right after it renders).
  await frame.waitForFunction(() => document.activeElement && document.activeElement.id === "step-heading");
  assert.equal(await frame.evaluate(() => document.activeElement.textContent), ui.kind_heading);
  await tabTo(page, frame, vocabulary.kinds.sexual);
  await page.keyboard.press("Space");
  await tabTo(page, frame, ui.next);
  await page.keyboard.press("Enter");
  await expectStep(frame, ui.role_heading);
  await tabTo(page, frame, ui.next);
  await page.keyboard.press("Enter");
  await expectStep(frame, ui.signals_heading);
  await tabTo(page, frame, vocabulary.signals["general.seems_afraid"].label);
  await page.keyboard.press("Space");
  await tabTo(page, frame, ui.next);
  await page.keyboard.press("Enter");
  for (const heading of [ui.place_heading, ui.time_heading]) {
    await expectStep(frame, heading);
    await tabTo(page, frame, ui.next);
    await page.keyboard.press("Enter");
  }
  await expectStep(frame, ui.description_heading);
  await tabTo(page, frame, ui.description_label);
  await page.keyboard.type("Met alleen het toetsenbord gemeld.");
  await tabTo(page, frame, ui.next);
  await page.keyboard.press("Enter");
  await expectStep(frame, ui.contact_heading);
  await tabTo(page, frame, ui.next);
  await page.keyboard.press("Enter");
  await expectStep(frame, ui.review_heading);
  await tabTo(page, frame, ui.send);
  await page.keyboard.press("Enter");
  await expectStep(frame, ui.receipt_heading);
  await tabTo(page, frame, ui.receipt_confirm);
  await page.keyboard.press("Space");
  await tabTo(page, frame, ui.finish);
  await page.keyboard.press("Enter");
  await expectStep(frame, ui.done_heading);

  const tip = (await readStoredTips(stack)).find((stored) => stored.document.text === "Met alleen het toetsenbord gemeld.");
  assert.ok(tip, "the keyboard-only tip was stored");
  assert.deepEqual(tip.document.kinds, ["sexual"]);
  assert.deepEqual(tip.document.signals, ["general.seems_afraid"]);
  await context.close();
});
