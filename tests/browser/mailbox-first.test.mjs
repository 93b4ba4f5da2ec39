// The mailbox for answers exists before the receipt code is shown, and the relay sees nothing
// that ties it to the tip. The widget opens it while the reporter fills in the form, at a random
// moment, in a request of its own; a reporter who sends before that is done waits for it (and is
// told so), and the tip's POST comes a few seconds after the mailbox's 2xx. So a reporter who
// closes the page the moment the code appears still gets the coordinator's reply. When the mailbox
// cannot be opened at all the tip is still sent, and the receipt step says plainly that answers
// are not possible this time, and why, without a code that would open nothing. Under a flood the
// relay raises the proof of work's difficulty, and the sending step says that it is busy.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { openExamplePage, queryRelayDatabase, readStoredTips, runInbox, startStack, translations } from "./harness.mjs";
import { expectStep, press, walkToReview } from "./steps.mjs";

const { ui } = translations("nl");

// The shortest pause the widget keeps between the mailbox's 2xx and the tip's POST, and the
// shortest random wait before it opens the mailbox (widget/src/app.rs, `wait_for_mailbox` and
// `register_mailbox`).
const MINIMUM_GAP_MS = 3000;
const MINIMUM_FIRST_WAIT_MS = 3000;

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

/**
 * Records every request `page` (with its frames) makes to the relay's API: method, path, status,
 * headers and body.
 */
function recordTimeline(page) {
  const entries = [];
  const record = async (request, failed) => {
    const path = new URL(request.url()).pathname;
    if (!path.startsWith("/api/")) {
      return;
    }
    const response = failed ? null : await request.response();
    entries.push({
      method: request.method(),
      path,
      url: request.url(),
      status: response ? response.status() : null,
      headers: request.headers(),
      body: request.postDataBuffer() ?? Buffer.alloc(0),
    });
  };
  page.on("requestfinished", (request) => record(request, false));
  page.on("requestfailed", (request) => record(request, true));
  return entries;
}

/**
 * When the widget's request to `path` started (its `fetch()` call) and when its answer had
 * arrived, by the frame's own clock (the Resource Timing entries, Unix milliseconds): exact
 * where Playwright's events and request timings are not (a request held by `route` has none).
 */
async function requestTimes(frame, path) {
  const times = await frame.evaluate((path) =>
    performance
      .getEntriesByType("resource")
      .filter((entry) => new URL(entry.name).pathname === path)
      .map((entry) => ({ start: performance.timeOrigin + entry.startTime, end: performance.timeOrigin + entry.responseEnd })),
  path);
  assert.equal(times.length, 1, `one request to ${path}`);
  return times[0];
}

function posts(timeline, path) {
  return timeline.filter((entry) => entry.method === "POST" && entry.path === path);
}

/** Polls `find` until it returns something; fails after `timeout` milliseconds. */
async function eventually(find, what, timeout = 60000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const found = find();
    if (found) {
      return found;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not happen in ${timeout} ms`);
}

/** Pulls with the coordinator's inbox, which must find exactly one new tip; returns its number. */
function pullOneTip() {
  const pulled = runInbox(stack, ["pull"]);
  const number = pulled.match(/1 new tip: number (\d+)\./)?.[1];
  assert.ok(number, pulled);
  return number;
}

/** The stored tip whose text is `text`. */
async function storedTip(text) {
  const tip = (await readStoredTips(stack)).find((stored) => stored.document.text === text);
  assert.ok(tip, `the tip "${text}" was stored`);
  return tip;
}

function mailboxCount(mailboxId) {
  return queryRelayDatabase(stack, `SELECT count(*) AS count FROM mailboxes WHERE id = x'${mailboxId}'`)[0].count;
}

test("the mailbox is opened while the reporter fills in the form, in a request of its own that nothing ties to the tip", async () => {
  const TEXT = "Achter de garage staan elke ochtend busjes met arbeiders. tijdlijn-2210";
  const { context, page, frame, problems } = await openExamplePage(stack);
  const timeline = recordTimeline(page);
  const startedAt = Date.now();
  await walkToReview(frame, ui, TEXT);

  // The reporter reads the review for a while; meanwhile the mailbox is opened.
  const [registration] = await eventually(() => posts(timeline, "/api/v1/mailboxes").length && posts(timeline, "/api/v1/mailboxes"), "the mailbox registration");
  assert.equal(registration.status, 201);
  await expectStep(frame, ui.review_heading);
  const sendPressedAt = Date.now();
  await press(frame, ui.send);
  await frame.locator("#receipt-code").waitFor();
  assert.equal(await frame.locator("#mailbox-status").innerText(), ui.mailbox_open);

  const [tip] = posts(timeline, "/api/v1/tips");
  assert.equal(tip.status, 201);
  assert.equal(posts(timeline, "/api/v1/mailboxes").length, 1);
  const registered = await requestTimes(frame, "/api/v1/mailboxes");
  const sent = await requestTimes(frame, "/api/v1/tips");
  assert.ok(registered.start - startedAt >= MINIMUM_FIRST_WAIT_MS, `the mailbox was opened ${registered.start - startedAt} ms after the form started`);
  assert.ok(registered.end < sendPressedAt, "the mailbox existed before the reporter pressed send");
  assert.ok(sent.start - registered.end >= MINIMUM_GAP_MS, `the tip followed the mailbox's 2xx after ${sent.start - registered.end} ms`);

  // The registration names the mailbox and its token's hash, nothing else; the tip's request
  // names no mailbox and shares no header value with the registration; only the sealed tip does.
  const body = JSON.parse(registration.body.toString("utf8"));
  assert.deepEqual(Object.keys(body).sort(), ["id", "token_sha256"]);
  const stored = await storedTip(TEXT);
  assert.equal(stored.document.reply.mailbox, body.id);
  const tipRequest = `${tip.url}\n${JSON.stringify(tip.headers)}`;
  assert.equal(tipRequest.includes(body.id), false);
  assert.equal(tipRequest.includes(body.token_sha256), false);
  // (Not the nonces: each is a small number found by search, and two proofs may well end on the
  // same one by chance.)
  for (const name of ["fluister-challenge", "fluister-submission-key"]) {
    if (registration.headers[name] !== undefined) {
      assert.notEqual(registration.headers[name], tip.headers[name], name);
    }
  }
  assert.equal(tip.body.includes(Buffer.from(body.id)), false);
  assert.deepEqual(problems, []);
  await context.close();
  pullOneTip();
});

test("a reporter who sends before the mailbox is open waits for it and is told so; the tip's POST comes seconds after the mailbox's 2xx", async () => {
  const TEXT = "Er wonen twaalf mensen in een schuur zonder ramen. wachten-5521";
  const { context, page, frame, problems } = await openExamplePage(stack);
  const timeline = recordTimeline(page);
  // The relay is slow to open the mailbox: its registration waits until the test lets it go.
  let release;
  const released = new Promise((resolve) => {
    release = resolve;
  });
  let held = 0;
  await context.route("**/api/v1/mailboxes", async (route) => {
    if (route.request().method() === "POST") {
      held += 1;
      await released;
    }
    await route.continue();
  });
  await walkToReview(frame, ui, TEXT);
  await press(frame, ui.send);

  // Sending waits for the mailbox, and says so; no code, no tip yet.
  await frame.locator("#sending-status", { hasText: ui.sending_mailbox }).waitFor();
  await eventually(() => held === 1, "the mailbox registration");
  await page.waitForTimeout(1500);
  assert.equal(await frame.locator("#sending-status").innerText(), ui.sending_mailbox);
  assert.equal(await frame.locator("#receipt-code").count(), 0);
  assert.deepEqual(posts(timeline, "/api/v1/tips"), []);

  const releasedAt = Date.now();
  release();
  await frame.locator("#receipt-code").waitFor();
  const [registration] = posts(timeline, "/api/v1/mailboxes");
  const [tip] = posts(timeline, "/api/v1/tips");
  assert.equal(registration.status, 201);
  assert.equal(tip.status, 201);
  const registered = await requestTimes(frame, "/api/v1/mailboxes");
  const sent = await requestTimes(frame, "/api/v1/tips");
  assert.ok(registered.end >= releasedAt, "the mailbox was opened after it was let go");
  assert.ok(sent.start - registered.end >= MINIMUM_GAP_MS, `the tip followed the mailbox's 2xx after ${sent.start - registered.end} ms`);
  const stored = await storedTip(TEXT);
  assert.equal(stored.document.reply.mailbox, JSON.parse(registration.body.toString("utf8")).id);
  assert.deepEqual(problems, []);
  await context.close();
  pullOneTip();
});

test("a reporter who closes the page the moment the receipt code appears still gets the coordinator's reply", async () => {
  const TEXT = "De kinderen van de buren gaan niet naar school maar werken in de kas. sluiten-7740";
  const { context, frame } = await openExamplePage(stack);
  await walkToReview(frame, ui, TEXT);
  await press(frame, ui.send);
  await frame.locator("#receipt-code").waitFor();
  await context.close();

  const stored = await storedTip(TEXT);
  assert.equal(mailboxCount(stored.document.reply.mailbox), 1, "the tip's mailbox exists on the relay");
  const number = pullOneTip();
  assert.match(runInbox(stack, ["reply", number, "Hoe oud zijn de kinderen ongeveer?"]), /Sent your message/);
});

test("a mailbox the relay refuses: the tip is still sent, and the receipt says there will be no answers and why, without a code; a reply to it fails", async () => {
  const TEXT = "In het pand aan de Kanaalweg wordt 's nachts gewerkt. geweigerd-3306";
  const { context, frame } = await openExamplePage(stack);
  let registrations = 0;
  await context.route("**/api/v1/mailboxes", (route) => {
    if (route.request().method() !== "POST") {
      return route.continue();
    }
    registrations += 1;
    return route.fulfill({
      status: 409,
      contentType: "application/json",
      body: JSON.stringify({ error: { code: "mailbox_conflict", message: "This mailbox exists with another token." } }),
    });
  });
  await walkToReview(frame, ui, TEXT);
  await press(frame, ui.send);
  await expectStep(frame, ui.receipt_heading);
  assert.equal(registrations, 1, "a refusal is not retried");
  assert.equal(await frame.locator("#receipt-code").count(), 0, "no code that would open nothing");
  assert.equal(await frame.getByRole("checkbox", { name: ui.receipt_confirm }).count(), 0);
  const said = await frame.locator("#mailbox-status").innerText();
  assert.ok(said.includes(ui.receipt_no_mailbox) && said.includes(ui.receipt_no_mailbox_refused), said);
  assert.ok(await frame.getByText(ui.receipt_no_mailbox_later).isVisible());
  assert.ok(await frame.getByRole("link", { name: "0800-7000" }).isVisible());
  await press(frame, ui.finish);
  await expectStep(frame, ui.done_heading);
  await context.close();

  // The tip names a mailbox that does not exist: the coordinator's reply fails, and says so.
  const stored = await storedTip(TEXT);
  assert.equal(mailboxCount(stored.document.reply.mailbox), 0);
  const number = pullOneTip();
  assert.throws(() => runInbox(stack, ["reply", number, "Welk pand bedoelt u?"]), /no longer has the mailbox/);
});

test("a relay that cannot be reached for the mailbox: tried again, then the tip is sent and the receipt says why there will be no answers", async () => {
  const TEXT = "Een man haalt elke week de lonen van de vrouwen op. onbereikbaar-8813";
  const { context, frame } = await openExamplePage(stack);
  let registrations = 0;
  await context.route("**/api/v1/mailboxes", (route) => {
    if (route.request().method() !== "POST") {
      return route.continue();
    }
    registrations += 1;
    return route.abort("internetdisconnected");
  });
  await walkToReview(frame, ui, TEXT);
  await press(frame, ui.send);
  await expectStep(frame, ui.receipt_heading);
  assert.ok(registrations >= 2, `the registration was tried ${registrations} times`);
  assert.equal(await frame.locator("#receipt-code").count(), 0);
  const said = await frame.locator("#mailbox-status").innerText();
  assert.ok(said.includes(ui.receipt_no_mailbox) && said.includes(ui.receipt_no_mailbox_busy), said);
  await context.close();
  const stored = await storedTip(TEXT);
  assert.equal(mailboxCount(stored.document.reply.mailbox), 0);
  pullOneTip();
});

test("under a flood the relay raises the difficulty: the progress follows each challenge's own difficulty and the sending step says it is busy", async () => {
  // Every verified submission beyond the first in the window doubles the difficulty.
  const flooded = await startStack({ proofOfWork: { flood_baseline: 1 } });
  try {
    const { context, frame } = await openExamplePage(flooded);
    // Every text the sending step shows, however briefly.
    await frame.evaluate(() => {
      window.sendingTexts = [];
      new MutationObserver(() => {
        const text = document.getElementById("sending-status")?.textContent.trim();
        if (text && window.sendingTexts.at(-1) !== text) {
          window.sendingTexts.push(text);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    // The percentages shown with the text under `key`.
    const percentOf = (texts, key) => {
      const [prefix, suffix] = ui[key].split("{percent}");
      return texts
        .filter((text) => text.startsWith(prefix) && text.endsWith(suffix))
        .map((text) => text.slice(prefix.length, text.length - suffix.length))
        .filter((number) => /^\d+$/.test(number))
        .map(Number);
    };

    // The first tip: the mailbox and the tip at the usual difficulty.
    await walkToReview(frame, ui, "Eerste melding in een drukke tijd. druk-1");
    await press(frame, ui.send);
    await expectStep(frame, ui.receipt_heading);
    const first = await frame.evaluate(() => window.sendingTexts.splice(0));
    assert.ok(percentOf(first, "sending_working").length > 0, JSON.stringify(first));
    assert.deepEqual(percentOf(first, "sending_working_busy"), [], JSON.stringify(first));
    assert.equal(first.includes(ui.sending_mailbox_busy), false, JSON.stringify(first));

    // The second: two verified submissions in the window, so its challenges are harder.
    await frame.getByRole("checkbox", { name: ui.receipt_confirm, exact: true }).check();
    await press(frame, ui.finish);
    await press(frame, ui.new_report);
    await walkToReview(frame, ui, "Tweede melding in een drukke tijd. druk-2");
    await press(frame, ui.send);
    await expectStep(frame, ui.receipt_heading);
    const second = await frame.evaluate(() => window.sendingTexts.splice(0));
    const busy = percentOf(second, "sending_working_busy");
    assert.ok(busy.length > 0, JSON.stringify(second));
    assert.deepEqual(percentOf(second, "sending_working"), [], "every proof of work of this tip was harder than usual");
    // Never past 99 % while the work goes on, and never backwards.
    assert.ok(busy.every((percent, index) => percent <= 99 && (index === 0 || percent >= busy[index - 1] || percent === 0)), JSON.stringify(busy));
    const status = await (await fetch(`${flooded.relay.origin}/api/v1/status`, { headers: { Authorization: `Bearer ${flooded.coordinator.token}` } })).json();
    assert.ok(status.difficulty.current > status.difficulty.base, JSON.stringify(status));
    await context.close();
  } finally {
    await flooded.close();
  }
});
