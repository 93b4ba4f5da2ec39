// The anonymous mailbox end to end, with every part real: a tip sent through the example page
// gives a receipt code and opens a mailbox; the coordinator's `fluister-inbox` pulls the tip and
// asks a question; in a fresh browser the code, typed sloppily, opens the mailbox, shows the
// question and sends an answer, which `fluister-inbox show` threads under the tip. Then: a
// replayed answer is stored once; the relay's database holds no plaintext and no link between
// tip and mailbox; a code that was never used finds nothing; a mistyped code never reaches the
// relay; what the crypto worker reads is checked strictly (a list of messages nested too deep
// is refused without stopping it);
// guessing codes spends no budget, while reading one mailbox too often spends its own,
// which the widget reports as busy; and an answer whose request is lost is kept and sent once
// when the reporter tries again. (That the mailbox exists before the code is shown is in
// mailbox-first.test.mjs.)

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, test } from "node:test";

import {
  openExamplePage,
  queryRelayDatabase,
  readStoredTips,
  receiptCodes,
  relayDataFiles,
  runInbox,
  startStack,
  translations,
} from "./harness.mjs";
import { expectStep, press, pressNext, walkToReview } from "./steps.mjs";

const { ui } = translations("nl");

// Unique words, so a search of the database's bytes cannot hit anything else.
const DESCRIPTION = "In de kas aan de Zuidesweg slapen zeven vrouwen op matrassen, kenmerk kas-7319.";
const QUESTION = "Weet u of de vrouwen er overdag ook zijn? vraag-5528";
const ANSWER = "Ja, ze werken er van zes tot zes. antwoord-8841";

// Receipt codes are the envelope's own (receipt.rs), made and checked through the harness's
// `fluister-fixture`: a code nobody used, and one with a typo.
const unusedReceiptCode = receiptCodes.unused;
const mistypedCode = receiptCodes.mistyped;

/** The code as a hurried person types it: lower case, spaces for dashes, look-alikes. */
function sloppily(code) {
  return code.replaceAll("-", " ").replaceAll("0", "O").replaceAll("1", "l").replaceAll("V", "u").toLowerCase();
}

/** Waits until `locator`'s text is one of `finalTexts` (a state that no longer changes); returns
 * it, or fails with the text it was stuck on. */
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
  throw new Error(`still "${text}" after ${timeout} ms; expected one of ${JSON.stringify(finalTexts)}`);
}

/** The messages the widget shows: author line and text of each `li.message`. */
async function shownMessages(frame) {
  return frame.locator("ol.conversation > li.message").evaluateAll((items) =>
    items.map((item) => ({
      author: item.querySelector(".message-author").textContent.trim(),
      text: item.querySelector(".message-text").textContent.trim(),
    })),
  );
}

/** Today's (or, just after midnight, yesterday's) date as the widget shows it in Dutch. */
function recentDutchDates() {
  const now = Date.now();
  return [now, now - 3600 * 1000].map((time) => new Date(time).toLocaleDateString("nl"));
}

/** Every request the page (its frames and workers included) makes to the relay's mailbox API. */
function watchMailboxRequests(page) {
  const requests = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname.startsWith("/api/v1/mailboxes")) {
      requests.push(request);
    }
  });
  return requests;
}

/** Opens the example page in a fresh context and goes to "check for an answer". */
async function openCheckStep(stack) {
  const opened = await openExamplePage(stack);
  await press(opened.frame, ui.start_check_button);
  await expectStep(opened.frame, ui.check_heading);
  return opened;
}

function codeInput(frame) {
  return frame.getByRole("textbox", { name: ui.check_code_label, exact: true });
}

/**
 * Types `code` on the check step and presses "open"; waits until the check is over (the status
 * line empty again). Returns the error then shown (null once the conversation opened) and the
 * status texts seen on the way.
 */
async function checkCode(frame, code, timeout = 60000) {
  await codeInput(frame).fill(code);
  await press(frame, ui.check_button);
  const conversation = frame.getByRole("heading", { name: ui.conversation_heading, exact: true });
  const statuses = new Set();
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await conversation.isVisible()) {
      return { error: null, statuses: [...statuses] };
    }
    const state = await frame.evaluate(() => {
      const error = document.getElementById("receipt-input-error");
      return {
        checking: document.getElementById("check-status")?.textContent.trim() ?? "",
        error: error && !error.hidden ? error.textContent.trim() : null,
      };
    });
    // A wrong code is the field's error; a busy or unreachable relay shows in the status line
    // instead, and leaves the field valid.
    if (state.checking === ui.check_opening) {
      statuses.add(state.checking);
    } else if (state.checking !== "") {
      assert.equal(await codeInput(frame).getAttribute("aria-invalid"), "false");
      return { error: state.checking, statuses: [...statuses] };
    } else if (state.error !== null) {
      assert.equal(await codeInput(frame).getAttribute("aria-invalid"), "true");
      return { error: state.error, statuses: [...statuses] };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`checking ${code} did not finish in ${timeout} ms`);
}

/** The error code of a relay JSON error answer. */
async function errorCode(response) {
  return (await response.json()).error.code;
}

/**
 * Starts the widget's own crypto worker in `frame`, as any script of the frame could, posts
 * `operations` one after another (plain objects, as the form posts them) and returns each one's
 * answer: `{ result }` or `{ error }` (the worker's short code).
 */
async function workerAnswers(frame, operations) {
  return frame.evaluate(async (operations) => {
    const worker = new Worker(document.getElementById("fluister-widget").dataset.worker, { type: "module" });
    const answers = [];
    try {
      for (const [index, operation] of operations.entries()) {
        answers.push(await new Promise((resolve, reject) => {
          worker.onmessage = ({ data }) => {
            if (data.percent === undefined) {
              resolve(data.error === undefined ? { result: data.result } : { error: data.error });
            }
          };
          worker.onerror = () => reject(new Error("the worker did not start"));
          worker.postMessage({ id: index, ...operation });
        }));
      }
      return answers;
    } finally {
      worker.terminate();
    }
  }, operations);
}

function sha256(bytes) {
  return createHash("sha256").update(bytes).digest();
}

function base64url(bytes) {
  return Buffer.from(bytes).toString("base64url");
}

/** The SQL `hex()` of `text`'s UTF-8 bytes, upper case as SQLite writes it. */
function textHex(text) {
  return Buffer.from(text, "utf8").toString("hex").toUpperCase();
}

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

// What the first test leaves for the ones after it.
const loop = {};

test("a tip's receipt code opens its mailbox in a fresh browser: the coordinator's question is read and the answer reaches the inbox, threaded under the tip", async () => {
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
  assert.match(receiptCode, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$/);
  assert.ok(receiptCodes.isShownCode(receiptCode), "the widget's check character follows receipt.rs");
  // The code is shown only once its mailbox exists.
  assert.equal(await reporter.frame.locator("#mailbox-status").innerText(), ui.mailbox_open);
  assert.deepEqual(reporter.problems, []);
  await reporter.context.close();

  // The tip names the mailbox; the reference `age -d` reads it while it waits on the relay.
  const tips = await readStoredTips(stack);
  assert.equal(tips.length, 1);
  const [tip] = tips;
  assert.equal(tip.document.text, DESCRIPTION);
  assert.match(tip.document.reply.mailbox, /^[0-9a-f]{64}$/);
  loop.tipId = tip.id;
  loop.mailboxId = tip.document.reply.mailbox;
  loop.receiptCode = receiptCode;
  loop.linkCheckedWhileTipWaited = databaseLinkFindings(loop.tipId, loop.mailboxId, { tipWaiting: true });

  // The coordinator pulls it and asks a question.
  const pulled = runInbox(stack, ["pull"]);
  const tipNumber = pulled.match(/1 new tip: number (\d+)\./)?.[1];
  assert.ok(tipNumber, pulled);
  loop.tipNumber = tipNumber;
  const exported = JSON.parse(runInbox(stack, ["export", tipNumber, "--format", "json"]));
  assert.equal(exported.document.reply.mailbox, loop.mailboxId);
  assert.match(runInbox(stack, ["reply", tipNumber, QUESTION]), /Sent your message/);

  // Later, in a fresh browser context (nothing carries over), the code typed sloppily.
  const { context, page, frame, problems } = await openCheckStep(stack);
  const mailboxRequests = watchMailboxRequests(page);
  const answerResponses = [];
  page.on("response", (response) => {
    if (response.request().method() === "POST" && /\/api\/v1\/mailboxes\/[0-9a-f]{64}\/messages$/.test(response.url())) {
      answerResponses.push(response);
    }
  });
  const typed = sloppily(receiptCode);
  assert.notEqual(typed, receiptCode);
  assert.equal(await frame.locator("#check-status").getAttribute("role"), "status");
  const opened = await checkCode(frame, typed);
  assert.deepEqual(opened, { error: null, statuses: [ui.check_opening] }, "the conversation opens, after a word on what takes a moment");
  await expectStep(frame, ui.conversation_heading);
  const [fetched] = mailboxRequests;
  assert.equal(fetched.method(), "GET");
  assert.equal(new URL(fetched.url()).pathname, `/api/v1/mailboxes/${loop.mailboxId}/messages`, "the typed code derives the tip's mailbox");
  const dates = recentDutchDates();
  const question = await shownMessages(frame);
  assert.equal(question.length, 1, JSON.stringify(question));
  assert.equal(question[0].text, QUESTION);
  assert.ok(dates.some((date) => question[0].author === `${ui.conversation_coordinator}, ${date}`), question[0].author);
  assert.ok(await frame.getByText(ui.conversation_come_back, { exact: true }).isVisible());

  // An empty answer is refused on the spot; a real one is sealed, paid for and sent.
  const answerNote = frame.locator("#answer-note");
  assert.equal(await answerNote.getAttribute("role"), "status");
  await press(frame, ui.answer_send);
  assert.equal(await settledText(answerNote, [ui.answer_missing]), ui.answer_missing);
  await frame.getByRole("textbox", { name: ui.answer_label, exact: true }).fill(ANSWER);
  await press(frame, ui.answer_send);
  assert.equal(await settledText(answerNote, [ui.answer_sent, ui.error_busy, ui.error_unreachable, ui.error_server, ui.error_refused, ui.error_sealing, ui.error_proof_of_work, ui.check_not_found]), ui.answer_sent);
  const conversation = await shownMessages(frame);
  assert.deepEqual(conversation.map((message) => message.text), [QUESTION, ANSWER]);
  assert.ok(dates.some((date) => conversation[1].author === `${ui.conversation_you}, ${date}`), conversation[1].author);

  // Only an age file went out, without the answer in it, sealed to two keys: the coordinator's
  // (the relay's only recipient here) and the reporter's own reply key.
  const posts = mailboxRequests.filter((request) => request.method() === "POST");
  assert.equal(posts.length, 1, posts.map((request) => request.url()).join("\n"));
  const answerBody = posts[0].postDataBuffer();
  assert.ok(answerBody.subarray(0, 22).equals(Buffer.from("age-encryption.org/v1\n")));
  assert.equal(answerBody.includes(Buffer.from(ANSWER)), false);
  const header = answerBody.subarray(0, answerBody.indexOf("\n---")).toString("latin1");
  assert.equal(header.split("\n").filter((line) => line.startsWith("-> X25519 ")).length, 2, header);
  assert.equal(answerResponses[0].status(), 201);
  loop.answer = {
    body: answerBody,
    headers: posts[0].headers(),
    id: (await answerResponses[0].json()).id,
  };
  loop.mailboxToken = fetched.headers()["fluister-mailbox-token"];
  assert.match(loop.mailboxToken, /^[A-Za-z0-9_-]{43}$/);

  // "Close mailbox" goes back to the start.
  await press(frame, ui.close_mailbox);
  await expectStep(frame, ui.start_heading);
  assert.deepEqual(problems, [], "no script errors and no Content Security Policy violations");
  await context.close();

  // The coordinator pulls the answer; `show` prints it under the tip, after the question.
  const pulledAnswer = runInbox(stack, ["pull"]);
  assert.match(pulledAnswer, new RegExp(`1 new answer from reporters: tip ${tipNumber} \\(1\\)\\.`));
  const shown = runInbox(stack, ["show", tipNumber]);
  const descriptionAt = shown.indexOf(DESCRIPTION);
  const youAt = shown.indexOf("] You:");
  const questionAt = shown.indexOf(QUESTION);
  const reporterAt = shown.indexOf("] Reporter:");
  const answerAt = shown.indexOf(ANSWER);
  assert.ok(descriptionAt >= 0 && descriptionAt < youAt && youAt < questionAt && questionAt < reporterAt && reporterAt < answerAt, shown);
  assert.equal(shown.split(ANSWER).length - 1, 1, shown);
});

test("a replayed answer is stored once: the relay answers 200 with the same id, and neither the widget nor the inbox shows it twice", async () => {
  assert.ok(loop.answer, "the first test sent an answer");
  const messagesUrl = `${stack.relay.origin}/api/v1/mailboxes/${loop.mailboxId}/messages`;
  const repost = (headers) => fetch(messagesUrl, { method: "POST", headers, body: loop.answer.body });

  // The same request again (a retry after a lost answer; its challenge is used up by now).
  const retried = await repost({
    "Content-Type": "application/octet-stream",
    "Fluister-Mailbox-Token": loop.mailboxToken,
    "Fluister-Submission-Key": loop.answer.headers["fluister-submission-key"],
    "Fluister-Challenge": loop.answer.headers["fluister-challenge"],
    "Fluister-Nonce": loop.answer.headers["fluister-nonce"],
  });
  assert.equal(retried.status, 200);
  assert.equal((await retried.json()).id, loop.answer.id);

  // A replay under a new submission key with a fresh, honestly solved proof of work: the widget's
  // own crypto worker solves it in a page, for the SHA-256 of the captured ciphertext.
  const { context, frame } = await openExamplePage(stack);
  const challengeJson = await (await fetch(`${stack.relay.origin}/api/v1/challenges`, { method: "POST" })).text();
  const [solved] = await workerAnswers(frame, [
    { op: "solve", challenge: challengeJson, hash: [...sha256(loop.answer.body)] },
  ]);
  assert.ok(solved.result, `the worker solved the challenge: ${JSON.stringify(solved)}`);
  const nonces = solved.result.nonces;
  const replayed = await repost({
    "Content-Type": "application/octet-stream",
    "Fluister-Mailbox-Token": loop.mailboxToken,
    "Fluister-Submission-Key": base64url(randomBytes(32)),
    "Fluister-Challenge": JSON.parse(challengeJson).seed,
    "Fluister-Nonce": nonces.join(","),
  });
  assert.equal(replayed.status, 200, await replayed.clone().text());
  assert.equal((await replayed.json()).id, loop.answer.id);

  // The widget, opened again with the code, shows the answer once.
  await press(frame, ui.start_check_button);
  await expectStep(frame, ui.check_heading);
  assert.equal((await checkCode(frame, loop.receiptCode)).error, null);
  assert.deepEqual((await shownMessages(frame)).map((message) => message.text), [QUESTION, ANSWER]);
  await context.close();

  // And so does the inbox: nothing new to pull, the answer printed once.
  assert.match(runInbox(stack, ["pull"]), /No new answers from reporters\./);
  const shown = runInbox(stack, ["show", loop.tipNumber]);
  assert.equal(shown.split(ANSWER).length - 1, 1, shown);
});

// The relay's tables, by the side they belong to (relay-server/src/storage/sqlite.rs). A new
// table fails the check below until it is put on one side.
// The team log is the coordinators' side: sealed entries about tips, never about a mailbox.
const TIP_TABLES = ["tips", "submissions", "team_log"];
const MAILBOX_TABLES = ["mailboxes", "mailbox_messages", "message_submissions"];
const OTHER_TABLES = ["schema_migrations"];

/**
 * Reads every value of every row of the relay's database (as SQL `hex()`, so blobs and text
 * compare alike) and returns what links the tip and the mailbox: a tip-side column named after
 * mailboxes or a mailbox-side one named after tips, a tip-side value holding the mailbox id (as
 * bytes or as text), a mailbox-side value holding the tip id. Also checks that the ids are where
 * they belong, so the search cannot pass by finding nothing at all.
 */
function databaseLinkFindings(tipId, mailboxId, { tipWaiting }) {
  const tables = queryRelayDatabase(stack, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").map((row) => row.name);
  assert.deepEqual(tables, [...TIP_TABLES, ...MAILBOX_TABLES, ...OTHER_TABLES].sort(), "every table is on one side");
  const mailboxNeedles = [mailboxId.toUpperCase(), textHex(mailboxId)];
  const tipNeedles = [tipId.toUpperCase(), textHex(tipId)];
  const findings = [];
  const valuesByTable = {};
  for (const table of tables) {
    const columns = queryRelayDatabase(stack, `PRAGMA table_info("${table}")`).map((column) => column.name);
    const rows = queryRelayDatabase(stack, `SELECT ${columns.map((column) => `hex("${column}") AS "${column}"`).join(", ")} FROM "${table}"`);
    valuesByTable[table] = rows;
    const forbidden = TIP_TABLES.includes(table) ? { column: /mailbox/i, needles: mailboxNeedles } : MAILBOX_TABLES.includes(table) ? { column: /tip/i, needles: tipNeedles } : null;
    if (!forbidden) {
      continue;
    }
    for (const column of columns.filter((name) => forbidden.column.test(name))) {
      findings.push(`column ${table}.${column}`);
    }
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (forbidden.needles.some((needle) => value.includes(needle))) {
          findings.push(`value of ${table}.${column}`);
        }
      }
    }
  }
  // The positive controls: each id is found on its own side.
  const tipIdBytes = tipId.toUpperCase();
  assert.ok(valuesByTable.submissions.some((row) => row.tip_id === tipIdBytes), "the tip's submission row is there");
  assert.equal(valuesByTable.tips.some((row) => row.id === tipIdBytes), tipWaiting, "the tip row is there while it waits");
  assert.ok(valuesByTable.mailboxes.some((row) => row.id === mailboxId.toUpperCase()), "the mailbox row is there");
  return findings;
}

test("the relay's database holds no plaintext and no link between the tip and its mailbox", async () => {
  assert.ok(loop.answer, "the first test ran the whole loop");
  // Checked while the tip still waited on the relay, and now, after pulls, a question and answers.
  assert.deepEqual(loop.linkCheckedWhileTipWaited, []);
  assert.deepEqual(databaseLinkFindings(loop.tipId, loop.mailboxId, { tipWaiting: false }), []);
  const messages = queryRelayDatabase(stack, "SELECT hex(mailbox_id) AS mailbox, author FROM mailbox_messages ORDER BY mailbox_id, position");
  assert.deepEqual(messages, [
    { mailbox: loop.mailboxId.toUpperCase(), author: "coordinator" },
    { mailbox: loop.mailboxId.toUpperCase(), author: "reporter" },
  ]);
  // Only the hash of the mailbox token is kept.
  const [mailbox] = queryRelayDatabase(stack, "SELECT hex(token_sha256) AS token_sha256 FROM mailboxes");
  const tokenBytes = Buffer.from(loop.mailboxToken, "base64url");
  assert.equal(mailbox.token_sha256, sha256(tokenBytes).toString("hex").toUpperCase());

  // Every byte of the database, its write-ahead log and shared memory, and of the key
  // challenges are MACed with.
  const files = relayDataFiles(stack);
  assert.deepEqual(files.map((file) => file.name).sort(), ["challenge-key", "relay.sqlite3", "relay.sqlite3-shm", "relay.sqlite3-wal"]);
  const everything = Buffer.concat(files.map((file) => file.bytes));
  assert.ok(everything.includes(Buffer.from(loop.mailboxId, "hex")), "the search reads the stored data");
  const canonicalCode = loop.receiptCode.replaceAll("-", "");
  for (const secret of [DESCRIPTION, QUESTION, ANSWER, "kas-7319", "vraag-5528", "antwoord-8841", loop.receiptCode, canonicalCode, loop.mailboxToken]) {
    for (const form of [Buffer.from(secret), Buffer.from(Buffer.from(secret).toString("hex")), Buffer.from(secret, "utf16le")]) {
      assert.equal(everything.includes(form), false, `the relay's files contain ${JSON.stringify(secret)}`);
    }
  }
  assert.equal(everything.includes(tokenBytes), false, "the relay's files contain the mailbox token");
});

test("a well-formed code that was never used finds no mailbox, and nothing is shown", async () => {
  const { context, page, frame } = await openCheckStep(stack);
  const mailboxRequests = watchMailboxRequests(page);
  const statuses = [];
  page.on("response", (response) => {
    if (new URL(response.url()).pathname.startsWith("/api/v1/mailboxes")) {
      statuses.push(response.status());
    }
  });

  // Nothing typed: said at once.
  await press(frame, ui.check_button);
  assert.equal(await settledText(frame.locator("#receipt-input-error"), [ui.check_code_missing]), ui.check_code_missing);

  assert.equal((await checkCode(frame, unusedReceiptCode())).error, ui.check_not_found);
  assert.equal(await codeInput(frame).getAttribute("aria-invalid"), "true");
  assert.equal(mailboxRequests.length, 1);
  assert.equal(mailboxRequests[0].method(), "GET");
  assert.deepEqual(statuses, [404]);
  await expectStep(frame, ui.check_heading);
  assert.equal(await frame.locator("ol.conversation, .conversation-empty").count(), 0, "no conversation is shown");
  assert.equal(await frame.getByRole("textbox", { name: ui.answer_label, exact: true }).count(), 0);
  await context.close();
});

test("a mistyped code is refused at once, without asking the relay", async () => {
  const { context, page, frame, problems } = await openCheckStep(stack);
  const mailboxRequests = watchMailboxRequests(page);
  const typo = mistypedCode(unusedReceiptCode());
  assert.equal((await checkCode(frame, typo)).error, ui.check_code_typo);
  assert.equal(await codeInput(frame).getAttribute("aria-invalid"), "true");
  // Typed sloppily, a mistyped code is still a typo.
  assert.equal((await checkCode(frame, sloppily(mistypedCode(unusedReceiptCode())))).error, ui.check_code_typo);
  assert.deepEqual(mailboxRequests.map((request) => request.url()), [], "no request to /api/v1/mailboxes");
  assert.equal(await frame.locator("ol.conversation").count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test("the crypto worker reads strictly: an unknown operation, a hash one byte too long, a conversation nested too deep or with a lone surrogate are invalid input, and the worker keeps its code and goes on answering", async () => {
  // The relay's list of messages as a hostile relay could send it: valid JSON the browser parses,
  // with a field nested 20,000 levels deep. Read recursively without a limit, it would exhaust
  // the worker's stack and leave its session unusable for the rest of the visit.
  const depth = 20000;
  const nested = `{"messages":[],"padding":${"[".repeat(depth)}${"]".repeat(depth)}}`;
  const challenge = await (await fetch(`${stack.relay.origin}/api/v1/challenges?version=2`, { method: "POST" })).text();
  const { context, frame } = await openExamplePage(stack);
  const answers = await workerAnswers(frame, [
    // What the worker reads from the page is checked as strictly: an operation it does not know,
    // and a hash of 33 bytes for a challenge it solves with 32.
    { op: "no_such_operation" },
    { op: "solve", challenge, hash: new Array(33).fill(7) },
    { op: "solve", challenge, hash: new Array(32).fill(7) },
    { op: "unlock", code: unusedReceiptCode() },
    { op: "open_conversation", json: nested },
    // A lone surrogate is valid JSON but has no UTF-8 form: refused.
    { op: "open_conversation", json: '{"messages":[],"note":"\\ud800"}' },
    { op: "open_conversation", json: '{"messages":[]}' },
  ]);
  await context.close();
  assert.deepEqual(answers.slice(0, 2), [{ error: "invalid_input" }, { error: "invalid_input" }]);
  assert.equal(answers[2].result?.nonces?.length, JSON.parse(challenge).puzzles ?? 1, JSON.stringify(answers[2]));
  assert.equal(answers[3].error, undefined, JSON.stringify(answers[3]));
  assert.deepEqual(answers[4], { error: "invalid_input" });
  assert.deepEqual(answers[5], { error: "invalid_input" });
  assert.deepEqual(answers[6], { result: { messages: [] } });
});

test("guessing codes spends no budget: every guess is 404 after the same work; reading a real mailbox draws from its own budget, and once it is spent the widget says it is busy", async () => {
  // Each mailbox may be read twice, refilled one read per 100 minutes: nothing comes back
  // during this test.
  const burst = 2;
  const limited = await startStack({ limits: { mailbox_request_burst: burst, mailbox_requests_per_minute: 0.01 } });
  try {
    // A reporter sends a tip, and so has a code and a mailbox.
    const reporter = await openExamplePage(limited);
    await walkToReview(reporter.frame, ui, "Een tip om de leesbudgetten te toetsen. budget-6612");
    await press(reporter.frame, ui.send);
    await expectStep(reporter.frame, ui.receipt_heading);
    const receiptCode = (await reporter.frame.locator("#receipt-code").innerText()).trim();
    await reporter.context.close();
    const [tip] = await readStoredTips(limited);
    const mailboxId = tip.document.reply.mailbox;

    // Thirty guesses, at random mailboxes and at this one with wrong tokens: all the same 404,
    // none limited, and none of them spends this mailbox's budget.
    const guess = async (id) => {
      const response = await fetch(`${limited.relay.origin}/api/v1/mailboxes/${id}/messages`, {
        headers: { "Fluister-Mailbox-Token": base64url(randomBytes(32)) },
      });
      return `${response.status} ${await errorCode(response)}`;
    };
    const statuses = [];
    for (let attempt = 0; attempt < 30; attempt += 1) {
      statuses.push(await guess(attempt % 3 === 0 ? mailboxId : randomBytes(32).toString("hex")));
    }
    assert.deepEqual(statuses, Array(30).fill("404 mailbox_not_found"));

    // The reporter checks the code: twice it opens, the third time the widget says it is busy
    // (not that the code is wrong).
    const { context, page, frame } = await openCheckStep(limited);
    const responses = [];
    page.on("response", (response) => {
      if (new URL(response.url()).pathname.startsWith("/api/v1/mailboxes")) {
        responses.push(response.status());
      }
    });
    for (let read = 0; read < burst; read += 1) {
      assert.equal((await checkCode(frame, receiptCode)).error, null);
      await press(frame, ui.close_mailbox);
      await press(frame, ui.start_check_button);
      await expectStep(frame, ui.check_heading);
    }
    assert.equal((await checkCode(frame, receiptCode)).error, ui.error_busy);
    assert.deepEqual(responses, [200, 200, 429]);
    assert.equal(await frame.locator("ol.conversation").count(), 0);
    await context.close();

    // The coordinator is not held to the reporter's budget.
    const coordinatorRead = await fetch(`${limited.relay.origin}/api/v1/mailboxes/${mailboxId}/messages`, {
      headers: { Authorization: `Bearer ${limited.coordinator.token}` },
    });
    assert.equal(coordinatorRead.status, 200);
  } finally {
    await limited.close();
  }
});

test("the relay unreachable while answering: a clear message, the answer kept, and sending again stores it once", async () => {
  assert.ok(loop.receiptCode, "the first test sent a tip");
  const LATE_ANSWER = "Er kwam vannacht nog een busje bij. laat-4417";
  const { context, frame, problems } = await openCheckStep(stack);
  // The first answer POST never reaches the relay, as when the network drops; later ones do.
  let posts = 0;
  await context.route(/\/api\/v1\/mailboxes\/[0-9a-f]{64}\/messages$/, (route) => {
    if (route.request().method() !== "POST") {
      return route.continue();
    }
    posts += 1;
    return posts === 1 ? route.abort("internetdisconnected") : route.continue();
  });
  assert.equal((await checkCode(frame, loop.receiptCode)).error, null);
  await expectStep(frame, ui.conversation_heading);
  const before = await shownMessages(frame);

  const answer = frame.getByRole("textbox", { name: ui.answer_label, exact: true });
  await answer.fill(LATE_ANSWER);
  const answerNote = frame.locator("#answer-note");
  const finalNotes = [ui.answer_sent, ui.error_unreachable, ui.error_busy, ui.error_server, ui.error_refused, ui.error_sealing, ui.error_proof_of_work];
  await press(frame, ui.answer_send);
  assert.equal(await settledText(answerNote, finalNotes), ui.error_unreachable);
  assert.equal(await answer.inputValue(), LATE_ANSWER, "the typed answer is still there");

  await press(frame, ui.answer_send);
  assert.equal(await settledText(answerNote, finalNotes), ui.answer_sent);
  assert.equal(posts, 2);
  const after = await shownMessages(frame);
  assert.equal(after.length, before.length + 1, JSON.stringify(after));
  assert.equal(after.filter((message) => message.text === LATE_ANSWER).length, 1);
  // The browser's own note on the dropped request, and nothing else.
  assert.deepEqual(problems, ["Failed to load resource: net::ERR_INTERNET_DISCONNECTED"]);
  await context.close();
});
