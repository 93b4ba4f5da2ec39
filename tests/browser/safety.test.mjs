// Safety: the quick exit (button, Shift three times in the widget and on the host page) lands on
// the neutral page; a page whose origin is not configured cannot frame the widget; when the
// relay is down the reporter is told plainly, keeps the sealed tip, and can retry; and when a
// chunk of the later steps cannot be fetched, the step whose button needs it (the start screen
// for the questions, the review for sending) says so, and the button works once it can.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { EXAMPLE_DIRECTORY, openExamplePage, readStoredTips, startRelay, startStack, translations } from "./harness.mjs";
import { startStaticServer } from "../tools/static-server.mjs";
import { accessibilityViolations, expectStep, press, pressNext, walkToReview } from "./steps.mjs";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

const { ui } = translations("nl");

async function expectNeutralPage(page) {
  await page.waitForURL(`${stack.page.origin}/neutral.html`);
  assert.equal(await page.title(), "Het weer in Drenthe");
}

test("the quick-exit button replaces the page with the neutral one", async () => {
  const { context, page, frame } = await openExamplePage(stack);
  await press(frame, ui.start_button);
  const historyLength = await page.evaluate(() => history.length);
  await frame.getByRole("button", { name: ui.exit_button, exact: true }).click();
  await expectNeutralPage(page);
  // location.replace: the neutral page took the example page's place in the tab's history.
  assert.equal(await page.evaluate(() => history.length), historyLength);
  await context.close();
});

test("Shift pressed three times inside the widget leaves, and the widget says how many are left", async () => {
  const { context, page, frame } = await openExamplePage(stack);
  await press(frame, ui.start_button);
  await frame.locator("#step-heading").focus();
  await page.keyboard.press("Shift");
  await frame.getByText(ui.exit_shift_status.other.replace("{count}", "2")).waitFor({ state: "attached" });
  await page.keyboard.press("Shift");
  await page.keyboard.press("Shift");
  await expectNeutralPage(page);
  await context.close();
});

/** The text of a counted string for `count` in `language`, its category chosen by ICU's CLDR rules. */
function counted(language, key, count) {
  const texts = translations(language).ui[key];
  const category = new Intl.PluralRules(language).select(count);
  return (texts[category] ?? texts.other).replace("{count}", String(count));
}

// "Press Shift 1 more times" was the same sentence for every count: the counts 3 (the hint), 2
// and 1 (the status) each take their own form in every language, as CLDR's rules say.
for (const language of ["en", "pl", "ro", "bg", "uk", "es", "ar"]) {
  test(`in ${language} the Shift hint and status take the plural form of their count`, async () => {
    const { ui } = translations(language);
    const { context, page, frame } = await openExamplePage(stack);
    await frame.getByRole("combobox", { name: translations("nl").ui.language_label, exact: true }).selectOption(language);
    await expectStep(frame, ui.start_heading);
    assert.equal((await frame.locator(".exit-hint").innerText()).trim(), counted(language, "exit_hint", 3));
    await frame.locator("#step-heading").focus();
    const status = frame.locator("[aria-live=polite]").first();
    await page.keyboard.press("Shift");
    await frame.getByText(counted(language, "exit_shift_status", 2), { exact: true }).waitFor({ state: "attached" });
    await page.keyboard.press("Shift");
    await frame.getByText(counted(language, "exit_shift_status", 1), { exact: true }).waitFor({ state: "attached" });
    assert.equal((await status.innerText()).trim(), counted(language, "exit_shift_status", 1));
    await page.keyboard.press("Shift");
    await expectNeutralPage(page);
    await context.close();
  });
}

test("Shift pressed three times on the host page leaves too, but typing capitals does not", async () => {
  const { context, page } = await openExamplePage(stack);
  await page.locator("h1").click();
  // Shift used for capital letters (other keys in between) is not an exit.
  await page.keyboard.press("Shift+A");
  await page.keyboard.press("Shift+B");
  await page.keyboard.press("Shift+C");
  assert.equal(new URL(page.url()).pathname, "/");
  await page.keyboard.press("Shift");
  await page.keyboard.press("Shift");
  await page.keyboard.press("Shift");
  await expectNeutralPage(page);
  await context.close();
});

test("a page on an origin that is not configured cannot frame the widget", async () => {
  const stranger = await startStaticServer({ directory: EXAMPLE_DIRECTORY, relayOrigin: stack.relay.origin });
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  const refused = new Promise((resolve) => {
    page.on("console", (message) => {
      if (/frame-ancestors/.test(message.text())) {
        resolve(message.text());
      }
    });
  });
  await page.goto(`${stranger.origin}/`);
  const message = await refused;
  assert.match(message, /violates the following Content Security Policy directive: "frame-ancestors http:\/\/127\.0\.0\.1:\d+"\. The request has been blocked/);
  const frame = await (await page.waitForSelector("iframe.fluister-frame")).contentFrame();
  assert.equal(await frame.locator("#fluister-widget").count(), 0);
  await context.close();
  await stranger.close();
});

test("relay down: a clear message and the phone numbers; retry sends the same tip once it is back", async () => {
  const { context, frame } = await openExamplePage(stack);
  await press(frame, ui.start_button);
  await pressNext(frame, ui, 5);
  await expectStep(frame, ui.description_heading);
  await frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill("Tekst die niet verloren mag gaan");
  await press(frame, ui.next);
  await press(frame, ui.next);
  await expectStep(frame, ui.review_heading);

  const address = new URL(stack.relay.origin).host;
  await stack.relay.stop();
  await press(frame, ui.send);
  await expectStep(frame, ui.not_sent_heading);
  assert.ok(await frame.getByText(ui.error_unreachable).isVisible());
  assert.ok(await frame.getByText(ui.not_sent_kept).isVisible());
  assert.ok(await frame.getByRole("heading", { name: ui.alternatives_heading }).isVisible());
  assert.ok(await frame.getByRole("link", { name: "0800-7000" }).isVisible());
  assert.deepEqual(await accessibilityViolations(frame), []);

  // The relay comes back on the same address; "try again" sends the tip kept in memory.
  stack.relay = await startRelay({
    coordinator: stack.coordinator,
    embeddingOrigins: [stack.page.origin],
    listen: address,
  });
  await press(frame, ui.retry);
  await expectStep(frame, ui.receipt_heading);
  const tips = await readStoredTips(stack);
  const mine = tips.filter((tip) => tip.document.text === "Tekst die niet verloren mag gaan");
  assert.equal(mine.length, 1);
  await context.close();
});

/**
 * Opens the example page with the wasm chunk at `address` failing as if offline until
 * `unblock()`; `requests()` counts the tries.
 */
async function openWithChunkBlocked(address) {
  let requests = 0;
  let blocked = true;
  const opened = await openExamplePage(stack, {
    prepare: (context) =>
      context.route(address, (route) => {
        requests += 1;
        return blocked ? route.abort("internetdisconnected") : route.continue();
      }),
  });
  return { ...opened, requests: () => requests, unblock: () => { blocked = false; } };
}

test("the first question cannot be fetched: the start screen says so, keeps the phone numbers, and start works once it can", async () => {
  const { context, frame, requests, unblock } = await openWithChunkBlocked(/\/w\/split_first_question-[0-9a-f]+\.wasm$/);
  await press(frame, ui.start_button);
  await frame.getByText(ui.error_unreachable).waitFor();
  // Still the start screen, with its heading and the other ways to report.
  assert.ok(await frame.getByRole("heading", { name: ui.start_heading, exact: true }).isVisible());
  assert.ok(await frame.getByRole("link", { name: "0800-7000" }).isVisible());
  assert.deepEqual(await accessibilityViolations(frame), []);
  // The prefetch and the press each tried; a failed fetch is not remembered.
  assert.ok(requests() >= 2, `the chunk was requested ${requests()} times`);

  unblock();
  await press(frame, ui.start_button);
  await expectStep(frame, ui.kind_heading);
  assert.ok(!(await frame.getByText(ui.error_unreachable).isVisible()));
  await context.close();
});

test("the other questions cannot be fetched: the first question works, next says so and stays, and works once they can", async () => {
  const { context, frame, requests, unblock } = await openWithChunkBlocked(/\/w\/split_later_steps-[0-9a-f]+\.wasm$/);
  await press(frame, ui.start_button);
  await expectStep(frame, ui.kind_heading);
  // The first question fetches the other questions in the background.
  for (let attempt = 0; attempt < 100 && requests() === 0; attempt += 1) {
    await frame.page().waitForTimeout(50);
  }
  assert.ok(requests() >= 1, "the first question did not fetch the other questions");
  await frame.getByRole("checkbox").first().check();
  await press(frame, ui.next);
  await frame.getByText(ui.error_unreachable).waitFor();
  // Still the first question, with the answer given.
  assert.ok(await frame.getByRole("heading", { name: ui.kind_heading, exact: true }).isVisible());
  assert.ok(await frame.getByRole("checkbox").first().isChecked());
  assert.deepEqual(await accessibilityViolations(frame), []);

  unblock();
  await press(frame, ui.next);
  await expectStep(frame, ui.role_heading);
  assert.ok(!(await frame.getByText(ui.error_unreachable).isVisible()));
  await context.close();
});

/** The delivery chunk's address (sending, the receipt, checking for an answer). */
const DELIVERY_CHUNK = /\/w\/split_delivery_steps-[0-9a-f]+\.wasm$/;

/** Counts the tips `page` posts to the relay (`count`). */
function countTipPosts(page) {
  const posts = { count: 0 };
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/v1/tips") {
      posts.count += 1;
    }
  });
  return posts;
}

test("the delivery chunk cannot be fetched: the questions still work, the review says so on send, and sending works once it can, once however often send is pressed", async () => {
  let chunkRequests = 0;
  let blocked = true;
  const held = [];
  const { context, page, frame } = await openExamplePage(stack, {
    prepare: (context) =>
      context.route(DELIVERY_CHUNK, (route) => {
        chunkRequests += 1;
        if (blocked) {
          return route.abort("internetdisconnected");
        }
        held.push(route);
      }),
  });
  const tipPosts = countTipPosts(page);
  const description = "Tekst die wacht tot het versturen kan";
  // Each question asks for the delivery chunk in the background (to prepare the receipt code);
  // that it cannot be fetched keeps none of them from working.
  await walkToReview(frame, ui, description);
  assert.ok(chunkRequests >= 1, "the questions asked for the delivery chunk");
  const requestsBeforeSend = chunkRequests;
  await press(frame, ui.send);
  await frame.getByText(ui.error_unreachable).waitFor();
  // Still the review, with the answers and the send button.
  await expectStep(frame, ui.review_heading);
  assert.ok(await frame.getByText(description).isVisible());
  assert.ok(chunkRequests > requestsBeforeSend, "the send button asked for the chunk again");
  assert.deepEqual(await accessibilityViolations(frame), []);

  // Now the chunk comes, slowly: send pressed again while it loads is the same press.
  blocked = false;
  await press(frame, ui.send);
  await frame.getByRole("status").filter({ hasText: ui.loading }).waitFor();
  await press(frame, ui.send);
  while (held.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(held.length, 1, "the chunk was asked for once while it loaded");
  // The second press changed nothing: still loading, no failure said.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.ok(await frame.getByRole("status").filter({ hasText: ui.loading }).isVisible());
  assert.ok(!(await frame.getByText(ui.error_unreachable).isVisible()), "no failure while the chunk loads");
  await held[0].continue();
  await expectStep(frame, ui.receipt_heading);
  assert.ok(!(await frame.getByText(ui.error_unreachable).isVisible()));
  // Time for a second sending, had the second press started one, to seal, pay and post.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  assert.equal(tipPosts.count, 1, "the tip was posted once");
  const tips = await readStoredTips(stack);
  assert.equal(tips.filter((tip) => tip.document.text === description).length, 1);
  await context.close();
});

test("send pressed while the delivery chunk loads does nothing once the reporter has gone back to change an answer", async () => {
  const held = [];
  const { context, page, frame } = await openExamplePage(stack, {
    prepare: (context) =>
      context.route(DELIVERY_CHUNK, (route) => {
        held.push(route);
      }),
  });
  const tipPosts = countTipPosts(page);
  const description = "Eerst nog iets aanvullen";
  // The first question already asked for the chunk, which stays on its way.
  await walkToReview(frame, ui, description);
  await press(frame, ui.send);
  await frame.getByRole("status").filter({ hasText: ui.loading }).waitFor();
  await frame.getByRole("button", { name: new RegExp(`^${ui.change}\\W+${ui.review_description}$`) }).click();
  await expectStep(frame, ui.description_heading);
  assert.ok(held.length >= 1);
  for (const route of held) {
    await route.continue();
  }
  // The chunk arrives: the press on the review is not carried out on another step.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await expectStep(frame, ui.description_heading);
  assert.ok(await frame.getByRole("heading", { name: ui.description_heading, exact: true }).isVisible());
  assert.equal(tipPosts.count, 0, "nothing was sent");
  await context.close();
});

// A frightened reporter needs to know before the first question, and again after sending, who
// reads the tip, what may and may not follow, and where help is.
test("the start screen and the receipt say what happens after sending, with the phone lines and Veilig Thuis", async () => {
  const { context, frame } = await openExamplePage(stack);
  const nextSteps = ["next_reader", "next_question", "next_action", "next_not_police", "next_help"];
  const expectWhatHappensNext = async (step) => {
    const section = frame.getByRole("region", { name: ui.next_heading, exact: true });
    assert.ok(await section.isVisible(), `${step}: what happens next`);
    for (const key of nextSteps) {
      assert.ok(await section.getByText(ui[key], { exact: true }).isVisible(), `${step}: ${key}`);
    }
    const veiligThuis = frame.getByRole("link", { name: "0800-2000", exact: true });
    assert.equal(await veiligThuis.getAttribute("href"), "tel:08002000", step);
    assert.equal((await veiligThuis.locator("xpath=..").innerText()).trim(), `${ui.alternative_veilig_thuis}: 0800-2000`, step);
  };
  await expectStep(frame, ui.start_heading);
  await expectWhatHappensNext("start");
  await walkToReview(frame, ui, "Iemand werkt elke dag zestien uur zonder loon.");
  await press(frame, ui.send);
  await expectStep(frame, ui.receipt_heading);
  await frame.locator("#mailbox-status", { hasText: ui.mailbox_open }).waitFor({ timeout: 60000 });
  await expectWhatHappensNext("receipt");
  await context.close();
});

// What a reporter types must not leave the page through the browser's own services: cloud
// spellcheckers read fields with spellcheck on, autofill stores what was typed, and page
// translation sends echoed text to a translation service.
test("free-text fields have spellcheck and autofill off, and echoed text is not translated", async () => {
  const { context, frame } = await openExamplePage(stack);
  const description = "Mannen slapen in de schuur van de boerderij.";
  await press(frame, ui.start_button);
  await expectStep(frame, ui.kind_heading);
  const fieldsSeen = [];
  const checkFields = async (step) => {
    const fields = await frame.locator("textarea, input[type=text]").evaluateAll((elements) =>
      elements.map((element) => ({
        id: element.id,
        spellcheck: element.getAttribute("spellcheck"),
        autocomplete: element.getAttribute("autocomplete"),
      })),
    );
    for (const field of fields) {
      assert.deepEqual(field, { id: field.id, spellcheck: "false", autocomplete: "off" }, `${step}: #${field.id}`);
      fieldsSeen.push(field.id);
    }
  };
  for (let step = 0; step < 5; step += 1) {
    await pressNext(frame, ui);
    await checkFields(`step ${step + 2}`);
  }
  await expectStep(frame, ui.description_heading);
  await frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill(description);
  await press(frame, ui.next);
  await expectStep(frame, ui.contact_heading);
  await checkFields("contact");
  await press(frame, ui.next);
  await expectStep(frame, ui.review_heading);
  for (const id of ["place", "when-text", "description", "contact"]) {
    assert.ok(fieldsSeen.includes(id), `#${id} was checked`);
  }
  const echoed = frame.locator(".review-answer", { hasText: description });
  assert.equal(await echoed.getAttribute("translate"), "no");
  await context.close();
});
