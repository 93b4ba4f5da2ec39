// Where the report stands, end to end: a tip sent through the example page; the coordinator's
// real inbox sets its status (`reply N --status`, sealed to the reporter's reply key by the
// envelope's `seal_status_message`), with a question in between; the reporter who checks with
// their code sees the latest status above the conversation, in Dutch, in Polish and in every
// other language of the form, a status without a text as a short line rather than an empty
// message, and axe-core finds nothing on that view at 320 px wide.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { LANGUAGES, openExamplePage, readStoredTips, runInbox, startStack, translations } from "./harness.mjs";
import { accessibilityViolations, expectStep, press, scrollsHorizontally, walkToReview } from "./steps.mjs";

const dutch = translations("nl").ui;

// Unique words, so that nothing else on the page can match them.
const DESCRIPTION = "Bij de wasstraat aan de Industrieweg wonen vier mannen in een container, kenmerk wasstraat-2290.";
const QUESTION = "Weet u hoe laat de mannen daar beginnen? vraag-6103";
const STATUS_TEXT = "Dank u. We zoeken het verder uit. tekst-3758";

/** Has the coordinator's inbox set the status of tip `tipNumber` (`read`, `in-progress`, …),
 * with a text or without. */
function setStatus(stack, tipNumber, status, text) {
  const printed = runInbox(stack, ["reply", tipNumber, "--status", status, ...(text ? [text] : [])]);
  assert.match(printed, new RegExp(`The reporter of tip ${tipNumber} now sees the status`), printed);
}

/** `text` with each `{name}` filled in, as the widget does. */
function filled(text, values) {
  return Object.entries(values).reduce((result, [name, value]) => result.replaceAll(`{${name}}`, value), text);
}

/** Today's (or, just after midnight, yesterday's) date as the widget shows it in `language`. */
function recentDates(language) {
  const now = Date.now();
  return [now, now - 3600 * 1000].map((time) => new Date(time).toLocaleDateString(language));
}

/** Opens the page at 320 px in `language`, checks `code` and waits for the conversation. */
async function openConversation(stack, language, code) {
  const ui = translations(language).ui;
  const opened = await openExamplePage(stack, { viewport: { width: 320, height: 640 } });
  const { frame } = opened;
  if (language !== "nl") {
    await frame.getByRole("combobox", { name: dutch.language_label, exact: true }).selectOption(language);
    await expectStep(frame, ui.start_heading);
  }
  await press(frame, ui.start_check_button);
  await expectStep(frame, ui.check_heading);
  await frame.getByRole("textbox", { name: ui.check_code_label, exact: true }).fill(code);
  await press(frame, ui.check_button);
  await frame.getByRole("heading", { name: ui.conversation_heading, exact: true }).waitFor({ timeout: 60000 });
  return opened;
}

/** What the conversation view shows: the status box, and each item of the conversation. */
async function shownView(frame) {
  return frame.evaluate(() => {
    const box = document.querySelector("section.case-status");
    const list = document.querySelector("ol.conversation");
    return {
      box: box && {
        heading: box.querySelector("h3").textContent.trim(),
        labelledBy: box.getAttribute("aria-labelledby"),
        value: document.getElementById("case-status").textContent.trim(),
        beforeConversation: Boolean(list && box.compareDocumentPosition(list) & Node.DOCUMENT_POSITION_FOLLOWING),
      },
      items: list
        ? [...list.children].map((item) => ({
            kind: item.className.trim(),
            author: item.querySelector(".message-author")?.textContent.trim() ?? null,
            text: item.querySelector(".message-text")?.textContent.trim() ?? null,
            status: item.querySelector(".message-status")?.textContent.trim() ?? null,
            line: item.textContent.trim(),
          }))
        : [],
    };
  });
}

async function expectAccessible(frame, where) {
  assert.deepEqual(await accessibilityViolations(frame), [], where);
  assert.equal(await scrollsHorizontally(frame), false, `${where}: scrolls sideways at 320 px`);
}

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

// What the first test leaves for the ones after it.
const report = {};

test("the coordinator's status reaches the reporter in Dutch: the latest above the conversation, a status without a text as a short line", async () => {
  // The reporter sends a tip and gets a code whose mailbox is open.
  const reporter = await openExamplePage(stack);
  await walkToReview(reporter.frame, dutch, DESCRIPTION);
  await press(reporter.frame, dutch.send);
  await expectStep(reporter.frame, dutch.receipt_heading);
  report.code = (await reporter.frame.locator("#receipt-code").innerText()).trim();
  await reporter.frame.locator("#mailbox-status", { hasText: dutch.mailbox_open }).waitFor({ timeout: 60000 });
  assert.deepEqual(reporter.problems, []);
  await reporter.context.close();

  // The tip names the mailbox; the coordinator pulls it, and tells the reporter it was read
  // (without a text), asks a question, and says it is in progress (with a text).
  const [tip] = await readStoredTips(stack);
  assert.equal(tip.document.text, DESCRIPTION);
  assert.match(tip.document.reply.recipient, /^age1/);
  const pulled = runInbox(stack, ["pull"]);
  report.tipNumber = pulled.match(/1 new tip: number (\d+)\./)?.[1];
  assert.ok(report.tipNumber, pulled);
  setStatus(stack, report.tipNumber, "read");
  assert.match(runInbox(stack, ["reply", report.tipNumber, QUESTION]), /Sent your message/);
  setStatus(stack, report.tipNumber, "in-progress", STATUS_TEXT);

  // In a fresh browser, the code opens the mailbox: "Status van uw melding: in behandeling".
  const { context, frame, problems } = await openConversation(stack, "nl", report.code);
  const view = await shownView(frame);
  assert.deepEqual(view.box, {
    heading: dutch.case_status_heading,
    labelledBy: "case-status-heading",
    value: "in behandeling",
    beforeConversation: true,
  });
  assert.equal(dutch.case_status_in_progress, "in behandeling");
  assert.ok(await frame.getByRole("heading", { name: dutch.case_status_heading, exact: true }).isVisible());

  // "Read" is a line of its own, not an empty message; the question and the message with the
  // new status are messages, the latter saying the new status under its text.
  assert.equal(view.items.length, 3, JSON.stringify(view.items));
  const [readLine, question, inProgress] = view.items;
  const dates = recentDates("nl");
  assert.equal(readLine.kind, "status-note");
  assert.equal(readLine.text, null);
  assert.ok(
    dates.some((date) => readLine.line === `${filled(dutch.case_status_changed, { status: dutch.case_status_read })} (${date})`),
    readLine.line,
  );
  assert.equal(question.text, QUESTION);
  assert.equal(question.status, null);
  assert.equal(inProgress.text, STATUS_TEXT);
  assert.ok(dates.some((date) => inProgress.author === `${dutch.conversation_coordinator}, ${date}`), inProgress.author);
  assert.equal(inProgress.status, filled(dutch.case_status_changed, { status: dutch.case_status_in_progress }));
  assert.equal(view.items.filter((item) => item.text === "").length, 0, "no empty message");

  await expectAccessible(frame, "nl, the mailbox with a status");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the reporter sees the status in Polish, and in every other language of the form, and axe-core finds nothing at 320 px", async () => {
  assert.ok(report.code, "the first test sent a tip");
  for (const language of LANGUAGES.filter((code) => code !== "nl")) {
    const { ui } = translations(language);
    const { context, frame, problems } = await openConversation(stack, language, report.code);
    assert.equal(await frame.evaluate(() => document.documentElement.lang), language);
    const view = await shownView(frame);
    assert.deepEqual(
      view.box,
      { heading: ui.case_status_heading, labelledBy: "case-status-heading", value: ui.case_status_in_progress, beforeConversation: true },
      language,
    );
    assert.notEqual(ui.case_status_in_progress, dutch.case_status_in_progress, `${language} has its own words`);
    if (language === "pl") {
      assert.equal(ui.case_status_heading, "Status twojego zgłoszenia");
      assert.equal(view.box.value, "w toku");
    }
    assert.equal(view.items[0].kind, "status-note", language);
    assert.ok(view.items[0].line.startsWith(filled(ui.case_status_changed, { status: ui.case_status_read })), view.items[0].line);
    assert.equal(view.items[2].status, filled(ui.case_status_changed, { status: ui.case_status_in_progress }), language);
    await expectAccessible(frame, `${language}, the mailbox with a status`);
    assert.deepEqual(problems, [], language);
    await context.close();
  }
});

test("a later status replaces the one shown: handed over, without a text", async () => {
  assert.ok(report.code, "the first test sent a tip");
  setStatus(stack, report.tipNumber, "handed-over");
  const { context, frame, problems } = await openConversation(stack, "nl", report.code);
  const view = await shownView(frame);
  assert.equal(view.box.value, dutch.case_status_handed_over);
  assert.equal(view.items.length, 4, JSON.stringify(view.items));
  assert.equal(view.items[3].kind, "status-note");
  assert.ok(view.items[3].line.startsWith(filled(dutch.case_status_changed, { status: dutch.case_status_handed_over })), view.items[3].line);
  await expectAccessible(frame, "nl, the mailbox handed over");
  assert.deepEqual(problems, []);
  await context.close();
});
