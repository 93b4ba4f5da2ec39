// Hybrid post-quantum coordinator keys (`mlkem768x25519`) end to end, with every part real: the
// relay's only recipient is a hybrid key; the widget in Chromium seals a tip to it, whose reply
// key is hybrid too, so that the whole conversation can be; the reference `age` 1.1.1, which
// knows no hybrid keys, cannot open it, and `fluister-inbox` can; the coordinator's question
// reaches the reporter, whose code (typed back in a fresh browser) opens it, and the answer,
// sealed to hybrid keys only, reaches the inbox as the reporter's own.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { openExamplePage, runInbox, startStack, translations } from "./harness.mjs";
import { expectStep, press, pressNext } from "./steps.mjs";

const { ui } = translations("nl");

const DESCRIPTION = "Achter de garage aan de Hoofdstraat slapen vijf jongens, kenmerk garage-2291.";
const QUESTION = "Gaan de jongens naar school? vraag-7714";
const ANSWER = "Nee, ze worden elke ochtend opgehaald. antwoord-5092";

/** The stanza types in an age file's header, in order. */
function stanzaTypes(sealed) {
  const text = Buffer.from(sealed).toString("latin1");
  const header = text.slice(0, text.indexOf("\n---"));
  return header.split("\n").filter((line) => line.startsWith("-> ")).map((line) => line.split(" ")[1]);
}

/** Waits until `locator`'s text is one of `finalTexts`; returns it. */
async function settledText(locator, finalTexts, timeout = 60000) {
  const deadline = Date.now() + timeout;
  let text = "";
  while (Date.now() < deadline) {
    text = (await locator.innerText()).trim();
    if (finalTexts.includes(text)) {
      return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`still "${text}" after ${timeout} ms`);
}

let stack;
before(async () => {
  stack = await startStack({ keyKind: "hybrid" });
});
after(async () => {
  await stack?.close();
});

test("with a hybrid coordinator key, the widget seals the tip and the whole conversation to hybrid keys, and the inbox reads them", async () => {
  assert.match(stack.coordinator.recipient, /^age1pq1[0-9a-z]{1952}$/);

  // The reporter sends a tip with only the description, and gets a code and a mailbox.
  const reporter = await openExamplePage(stack);
  await press(reporter.frame, ui.start_button);
  await pressNext(reporter.frame, ui, 5);
  await expectStep(reporter.frame, ui.description_heading);
  await reporter.frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill(DESCRIPTION);
  await press(reporter.frame, ui.next);
  await press(reporter.frame, ui.next);
  await expectStep(reporter.frame, ui.review_heading);
  await press(reporter.frame, ui.send);
  await expectStep(reporter.frame, ui.receipt_heading);
  const receiptCode = (await reporter.frame.locator("#receipt-code").innerText()).trim();
  assert.equal(await reporter.frame.locator("#mailbox-status").innerText(), ui.mailbox_open);
  assert.deepEqual(reporter.problems, []);
  await reporter.context.close();

  // On the relay: one hybrid stanza, no X25519 one.
  const headers = { Authorization: `Bearer ${stack.coordinator.token}` };
  const listing = await (await fetch(`${stack.relay.origin}/api/v1/tips`, { headers })).json();
  assert.equal(listing.tips.length, 1);
  const sealed = Buffer.from(await (await fetch(`${stack.relay.origin}/api/v1/tips/${listing.tips[0].id}`, { headers })).arrayBuffer());
  assert.deepEqual(stanzaTypes(sealed), ["mlkem768x25519"]);
  assert.ok(!sealed.includes(Buffer.from(DESCRIPTION)));

  // The reference age 1.1.1 does not know the hybrid identity, so it opens nothing.
  const tipFile = join(stack.coordinator.directory, "tip.age");
  writeFileSync(tipFile, sealed);
  const reference = spawnSync("age", ["-d", "-i", stack.coordinator.keyFile, tipFile], { encoding: "utf8", cwd: stack.coordinator.directory });
  assert.notEqual(reference.status, 0);
  assert.match(reference.stderr, /unknown identity type/);

  // The inbox opens it; the tip names the reporter's hybrid reply key.
  const pulled = runInbox(stack, ["pull"]);
  const tipNumber = pulled.match(/1 new tip: number (\d+)\./)?.[1];
  assert.ok(tipNumber, pulled);
  const exported = JSON.parse(runInbox(stack, ["export", tipNumber, "--format", "json"]));
  assert.equal(exported.document.text, DESCRIPTION);
  assert.match(exported.document.reply.recipient, /^age1pq1[0-9a-z]{1952}$/);
  assert.match(runInbox(stack, ["reply", tipNumber, QUESTION]), /Sent your message/);

  // In a fresh browser, the code opens the question, and the answer goes out.
  const { context, page, frame, problems } = await openExamplePage(stack);
  const posts = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && /\/api\/v1\/mailboxes\/[0-9a-f]{64}\/messages$/.test(request.url())) {
      posts.push(request);
    }
  });
  await press(frame, ui.start_check_button);
  await expectStep(frame, ui.check_heading);
  await frame.getByRole("textbox", { name: ui.check_code_label, exact: true }).fill(receiptCode);
  await press(frame, ui.check_button);
  await expectStep(frame, ui.conversation_heading);
  const texts = () => frame.locator("ol.conversation > li.message .message-text").allInnerTexts();
  assert.deepEqual((await texts()).map((text) => text.trim()), [QUESTION]);
  await frame.getByRole("textbox", { name: ui.answer_label, exact: true }).fill(ANSWER);
  await press(frame, ui.answer_send);
  const answerNote = frame.locator("#answer-note");
  assert.equal(await settledText(answerNote, [ui.answer_sent, ui.error_busy, ui.error_unreachable, ui.error_server, ui.error_refused, ui.error_sealing, ui.error_proof_of_work, ui.check_not_found]), ui.answer_sent);
  assert.deepEqual((await texts()).map((text) => text.trim()), [QUESTION, ANSWER]);
  // Sealed to the coordinator's key and the reporter's own reply key: both hybrid.
  assert.equal(posts.length, 1);
  assert.deepEqual(stanzaTypes(posts[0].postDataBuffer()), ["mlkem768x25519", "mlkem768x25519"]);
  assert.deepEqual(problems, []);
  await context.close();

  // The inbox stores the answer and shows it as the reporter's own, after the question.
  assert.match(runInbox(stack, ["pull"]), /1 new answer from reporters/);
  const shown = runInbox(stack, ["show", tipNumber]);
  assert.ok(shown.indexOf(QUESTION) >= 0 && shown.indexOf(QUESTION) < shown.indexOf(ANSWER), shown);
  assert.ok(!shown.includes("not confirmed"), shown);
});
