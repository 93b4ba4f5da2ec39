// The start screen before any wasm: the iframe document carries it in the requested language
// (the danger banner with 112, the intro, the phone numbers, the exit button), so with the wasm
// requests held back it is on screen, passes axe-core, takes the host page's theme, and its exit
// button and Shift three times leave. A visit that only reads it fetches no wasm; the form's
// wasm is fetched once the reporter points at it, taps it or tabs into it; a press of "start" is
// carried out once the wasm arrives; the language's table is fetched with the wasm and the
// form uses it; and the form takes over without moving anything, inside the frame or the frame
// itself.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { approachForm, formTookOver, startStack, translations, widgetFrame } from "./harness.mjs";
import { accessibilityViolations, expectStep } from "./steps.mjs";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

/** The phone numbers the form lists when the relay's config has none (`src/app/steps/start.rs`). */
const BUILT_IN_NUMBERS = ["0800-7000", "0900-8844", "0800-5151", "+31 70 333 56 78", "033-448 11 86", "+31 33 448 11 86", "0800-2000"];

/**
 * Opens the example page with the loader's frame asking for `language`, every wasm request held back
 * until `release()`; with the host page's theme only when `themed`. Returns the page, the widget's frame, the console problems, and `release`.
 */
async function openWithoutWasm(language, { themed = false, touch = false } = {}) {
  const context = await stack.browser.newContext({ viewport: { width: 360, height: 800 }, hasTouch: touch, isMobile: touch });
  const held = [];
  let released = false;
  await context.route("**/*.wasm", (route) => (released ? route.continue() : held.push(route)));
  if (!themed) {
    await context.route(`${stack.page.origin}/theme.css`, (route) => route.fulfill({ contentType: "text/css; charset=utf-8", body: "" }));
  }
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text()) || message.type() === "error") {
      problems.push(message.text());
    }
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  // The translation tables the frame asks for (`/w/<code>-<hash>.json`).
  const tables = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (/^\/w\/[a-z]{2}-[0-9a-f]+\.json$/.test(path)) {
      tables.push(path);
    }
  });
  await page.goto(`${stack.page.origin}/`);
  const frame = await widgetFrame(page, stack.relay.origin);
  if (language !== "nl") {
    // As the loader asks when the host page says `data-lang` (a page rewritten on its way here
    // would count as a public one, which Chromium keeps from loading the relay on 127.0.0.1).
    await page.evaluate((language) => {
      const iframe = document.querySelector("iframe.fluister-frame");
      iframe.src = iframe.src.replace("lang=nl", `lang=${language}`);
    }, language);
    await frame.waitForURL(new RegExp(`lang=${language}`));
  }
  await frame.locator(".fluister[data-static] #step-heading").waitFor();
  const release = async () => {
    released = true;
    await Promise.all(held.splice(0).map((route) => route.continue()));
  };
  return { context, page, frame, problems, release, held, tables };
}

async function expectNeutralPage(page) {
  await page.waitForURL(`${stack.page.origin}/neutral.html`);
  assert.equal(await page.title(), "Het weer in Drenthe");
}

/** Where the start screen's landmarks are on screen. */
function layout(frame) {
  return frame.evaluate(() => {
    const selectors = [".danger-number", ".exit-button", ".exit-hint", "#language-choice", "#step-heading", ".button-primary", ".button-secondary", "#alternatives-heading", ".alternatives li:last-child a"];
    return Object.fromEntries(selectors.map((selector) => {
      const box = document.querySelector(selector).getBoundingClientRect();
      return [selector, [box.x, box.y, box.width, box.height].map(Math.round)];
    }));
  });
}

for (const language of ["nl", "pl", "ar"]) {
  test(`in ${language}, the start screen with 112, the phone numbers and the exit is on screen before any wasm, and passes axe-core`, async () => {
    const { ui } = translations(language);
    const { context, frame, problems, held } = await openWithoutWasm(language);
    assert.equal(await frame.evaluate(() => document.documentElement.lang), language);
    // Arabic is mirrored from the first bytes: the document's own root says so.
    assert.equal(await frame.evaluate(() => document.documentElement.dir), language === "ar" ? "rtl" : "ltr");
    const danger = frame.locator(".danger");
    assert.ok(await danger.isVisible());
    assert.equal((await danger.innerText()).replace(/\s+/g, " ").trim(), `${ui.danger_call} 112`);
    const emergency = frame.getByRole("link", { name: "112", exact: true });
    assert.ok(await emergency.isVisible());
    assert.equal(await emergency.getAttribute("href"), "tel:112");
    assert.ok(await frame.getByRole("button", { name: ui.exit_button, exact: true }).isVisible());
    assert.ok(await frame.getByRole("heading", { name: ui.start_heading, exact: true }).isVisible());
    assert.ok(await frame.getByText(ui.start_intro, { exact: true }).isVisible());
    assert.ok(await frame.getByRole("heading", { name: ui.alternatives_heading, exact: true }).isVisible());
    for (const number of BUILT_IN_NUMBERS) {
      const link = frame.getByRole("link", { name: number, exact: true });
      assert.ok(await link.isVisible(), number);
      assert.equal(await link.getAttribute("href"), `tel:${number.replace(/[ -]/g, "")}`);
    }
    assert.ok(await frame.getByText(`${ui.alternative_meld_misdaad_anoniem}: 0800-7000`, { exact: true }).isVisible());
    // A foreign SIM card often cannot call 0800: the number from abroad follows where there is one.
    const labour = `${ui.alternative_labour_inspectorate}: 0800-5151; ${ui.alternative_from_abroad}: +31 70 333 56 78`;
    assert.ok(await frame.getByText(labour, { exact: true }).isVisible(), labour);
    assert.equal(held.length, 0, "nothing came near the form: its wasm was not even requested");
    assert.equal(await frame.locator(".fluister:not([data-static])").count(), 0, "no wasm has run");
    // The style sheet is inside the document (no round trip of its own), and the relay's policy
    // lets exactly it apply (a refusal would be among the console problems checked below).
    assert.equal(await frame.locator('link[rel="stylesheet"]').count(), 0);
    assert.equal(await frame.evaluate(() => getComputedStyle(document.querySelector(".safety-bar")).display), "flex");
    const violations = await accessibilityViolations(frame);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
    assert.deepEqual(problems, []);
    await context.close();
  });

  test(`in ${language}, the exit button leaves before any wasm`, async () => {
    const { ui } = translations(language);
    const { context, page, frame } = await openWithoutWasm(language);
    const historyLength = await page.evaluate(() => history.length);
    await frame.getByRole("button", { name: ui.exit_button, exact: true }).click();
    await expectNeutralPage(page);
    assert.equal(await page.evaluate(() => history.length), historyLength);
    await context.close();
  });
}

test("Shift pressed three times leaves before any wasm, and the screen reader hears how many are left", async () => {
  const { ui } = translations("nl");
  const { context, page, frame } = await openWithoutWasm("nl");
  await frame.locator("#step-heading").focus();
  await page.keyboard.press("Shift");
  const status = frame.locator("[aria-live]");
  assert.equal((await status.textContent()).trim(), ui.exit_shift_status.other.replace("{count}", "2"));
  await page.keyboard.press("Shift");
  assert.equal((await status.textContent()).trim(), ui.exit_shift_status.one.replace("{count}", "1"));
  await page.keyboard.press("Shift");
  await expectNeutralPage(page);
  await context.close();
});

test("the form takes over when its wasm arrives without moving anything, and carries out a press of start", async () => {
  const { ui } = translations("pl");
  const { context, page, frame, problems, release, tables } = await openWithoutWasm("pl");
  // The reporter has scrolled the start screen inside the frame a little (the frame has the
  // loader's one height; the start screen is longer): the takeover keeps where they are, and
  // the frame on the host page keeps its height.
  const frameHeight = () => page.evaluate(() => document.querySelector("iframe.fluister-frame").getBoundingClientRect().height);
  await frame.evaluate(() => window.scrollTo(0, 120));
  assert.equal(await frame.evaluate(() => Math.round(window.scrollY)), 120, "the start screen scrolls inside the frame");
  const heightBefore = await frameHeight();
  const before = await layout(frame);
  await approachForm(frame);
  // The start script fetches the document's language's table with the wasm, so the form does
  // not wait a round trip for it once the wasm has run; the form then uses that one request.
  await frame.waitForFunction(() => performance.getEntriesByType("resource").some((entry) => /\/pl-[0-9a-f]+\.json$/.test(entry.name)));
  const polish = () => tables.filter((path) => path.startsWith("/w/pl-"));
  const beforeWasm = polish();
  await release();
  await formTookOver(frame);
  assert.equal(beforeWasm.length, 1, JSON.stringify(tables));
  assert.deepEqual(polish(), beforeWasm, "the form fetched no table of its own");
  assert.deepEqual(await layout(frame), before);
  assert.equal(await frame.evaluate(() => Math.round(window.scrollY)), 120);
  assert.equal(await frameHeight(), heightBefore);
  assert.equal(await frame.evaluate(() => document.documentElement.lang), "pl");
  assert.deepEqual(problems, []);
  await context.close();

  // Right to left the same: the Arabic document's start screen and the form's own are mirrored
  // alike.
  const arabic = await openWithoutWasm("ar");
  const arabicBefore = await layout(arabic.frame);
  await arabic.release();
  await formTookOver(arabic.frame);
  assert.deepEqual(await layout(arabic.frame), arabicBefore);
  assert.deepEqual(await arabic.frame.evaluate(() => [document.documentElement.lang, document.documentElement.dir]), ["ar", "rtl"]);
  assert.deepEqual(arabic.problems, []);
  await arabic.context.close();

  // On a page with a theme, the theme is there before the wasm, so the takeover changes no
  // colour and moves nothing either.
  const themed = await openWithoutWasm("nl", { themed: true });
  const primary = () => themed.frame.evaluate(() => getComputedStyle(document.querySelector(".button-primary")).backgroundColor);
  await themed.frame.waitForFunction(() => getComputedStyle(document.documentElement).getPropertyValue("--fluister-primary-background-color").trim() === "#005a8c");
  assert.equal(await primary(), "rgb(0, 90, 140)");
  const themedBefore = await layout(themed.frame);
  await themed.release();
  await formTookOver(themed.frame);
  assert.deepEqual(await layout(themed.frame), themedBefore);
  assert.equal(await primary(), "rgb(0, 90, 140)");
  assert.deepEqual(themed.problems, []);
  await themed.context.close();

  // "Start" pressed while the wasm is on its way: the form says it is loading, then opens the
  // first question once it has taken over.
  // The press also fetches the first question's chunks (its own and chunks of code it shares
  // with other steps) with the form, not a round trip after it has taken over; the other
  // questions' and the delivery steps' chunks wait, so as not to share the bandwidth.
  const second = await openWithoutWasm("pl");
  await second.frame.getByRole("button", { name: ui.start_button, exact: true }).click();
  assert.equal((await second.frame.locator('[role="status"]').textContent()).trim(), ui.loading);
  await assertWasmFetchedWithForm(second, "split_first_question");
  await second.release();
  await expectStep(second.frame, ui.kind_heading);
  assert.deepEqual(second.problems, []);
  await second.context.close();
});

/** After a press on the document's own start screen (`opened` from `openWithoutWasm`, its wasm
 * held): waits until the form's wasm and the chunk `split` are asked for, and a little longer,
 * then checks that nothing but those and chunks of shared code was. */
async function assertWasmFetchedWithForm(opened, split) {
  const fetched = () => opened.held.map((route) => new URL(route.request().url()).pathname.replace(/-[0-9a-f]+(_bg)?\.wasm$/, "")).sort();
  for (let attempt = 0; attempt < 100 && ![`/w/${split}`, "/w/widget"].every((name) => fetched().includes(name)); attempt += 1) {
    await opened.page.waitForTimeout(50);
  }
  await opened.page.waitForTimeout(200);
  assert.ok(fetched().includes("/w/widget") && fetched().includes(`/w/${split}`), fetched().join(", "));
  assert.deepEqual(fetched().filter((name) => !new RegExp(`^/w/(widget|${split}|chunk_[0-9]+)$`).test(name)), [], fetched().join(", "));
}

test("a press of check for an answer fetches the code's chunks with the form, and the crypto worker's files while the code is typed", async () => {
  const { ui } = translations("pl");
  // "Check for an answer" pressed while the wasm is on its way: the press fetches the delivery
  // chunk, which holds the receipt code's input, and the chunks of code it shares, with the
  // form; not the questions'.
  const opened = await openWithoutWasm("pl");
  const workerFiles = [];
  opened.page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (/^\/w\/(worker|crypto)-/.test(path)) {
      workerFiles.push(path.replace(/-[0-9a-f]+(_bg)?\.(js|wasm)$/, ".$2"));
    }
  });
  await opened.frame.getByRole("button", { name: ui.start_check_button, exact: true }).click();
  await assertWasmFetchedWithForm(opened, "split_delivery_steps");
  assert.deepEqual(workerFiles, [], "nothing of the crypto worker before the code's input is on screen");
  await opened.release();
  await expectStep(opened.frame, ui.check_heading);
  // While the code is typed, the crypto worker's files arrive (its script, glue and wasm), but
  // no worker runs: one starts, fresh, only when "open my mailbox" is pressed.
  for (let attempt = 0; attempt < 100 && workerFiles.length < 3; attempt += 1) {
    await opened.page.waitForTimeout(50);
  }
  assert.deepEqual([...workerFiles].sort(), ["/w/crypto.js", "/w/crypto.wasm", "/w/worker.js"]);
  assert.equal(opened.page.workers().length, 0);
  const workerStarted = opened.page.waitForEvent("worker");
  // 23 zeros and a wrong check character: the worker reads it and says it is a typo.
  await opened.frame.getByRole("textbox", { name: ui.check_code_label, exact: true }).fill("0000 0000 0000 0000 0000 0001");
  await opened.frame.getByRole("button", { name: ui.check_button, exact: true }).click();
  await workerStarted;
  await opened.frame.locator("#receipt-input-error").filter({ hasText: ui.check_code_typo }).waitFor();
  assert.deepEqual(opened.problems, []);
  await opened.context.close();
});

/** How many times the form's wasm and translation tables were asked for, after `milliseconds`. */
async function requestedAfter(opened, milliseconds) {
  await opened.page.waitForTimeout(milliseconds);
  return { wasm: opened.held.length, tables: opened.tables.length };
}

/** Waits up to five seconds for the form's wasm to be asked for; how many times it was. */
async function wasmRequested(opened) {
  for (let attempt = 0; attempt < 100 && opened.held.length === 0; attempt += 1) {
    await opened.page.waitForTimeout(50);
  }
  return opened.held.length;
}

test("a visit that only reads the start screen fetches no form; pointing at it, tapping it or tabbing into it does", async () => {
  // Read for two seconds, the mouse elsewhere on the host page: nothing of the form is fetched.
  const reader = await openWithoutWasm("nl");
  await reader.page.mouse.move(5, 5);
  assert.deepEqual(await requestedAfter(reader, 2000), { wasm: 0, tables: 0 });
  // The real mouse moved onto the frame: the wasm and the Dutch table are asked for, once.
  const box = await reader.page.locator("iframe.fluister-frame").boundingBox();
  await reader.page.mouse.move(box.x + box.width / 2, box.y + 40, { steps: 4 });
  assert.equal(await wasmRequested(reader), 1);
  assert.equal(reader.tables.length, 1);
  assert.match(reader.tables[0], /^\/w\/nl-/);
  await reader.release();
  await reader.frame.locator(".fluister:not([data-static]) #step-heading").waitFor();
  assert.deepEqual(reader.problems, []);
  await reader.context.close();

  // On a phone: a tap on the intro's text (no button) asks for the wasm.
  const phone = await openWithoutWasm("nl", { touch: true });
  assert.deepEqual(await requestedAfter(phone, 1000), { wasm: 0, tables: 0 });
  await phone.frame.getByText(translations("nl").ui.start_intro, { exact: true }).tap();
  assert.equal(await wasmRequested(phone), 1);
  await phone.context.close();

  // With the keyboard: Tab from the host page into the frame asks for it.
  const keyboard = await openWithoutWasm("nl");
  assert.deepEqual(await requestedAfter(keyboard, 1000), { wasm: 0, tables: 0 });
  for (let presses = 0; presses < 40 && !(await keyboard.frame.evaluate(() => document.hasFocus())); presses += 1) {
    await keyboard.page.keyboard.press("Tab");
  }
  assert.ok(await keyboard.frame.evaluate(() => document.hasFocus()), "Tab reached the frame");
  assert.equal(await wasmRequested(keyboard), 1);
  await keyboard.context.close();
});

test("a press of start whose form cannot be fetched says the relay cannot be reached, and the next press tries again", async () => {
  const { ui } = translations("nl");
  const opened = await openWithoutWasm("nl");
  await opened.context.unroute("**/*.wasm");
  // Everything the form fetches fails: its JS glue, chunk loader, wasm and the language's table.
  // The start script imports the glue only when the reporter comes near, and fetches again
  // after a failure.
  let failing = true;
  await opened.context.route(/\/w\/((widget|split)-[0-9a-f]+\.js|[^/]+\.wasm|[a-z]{2}-[0-9a-f]+\.json)$/, (route) => (failing ? route.abort() : route.continue()));
  const start = opened.frame.getByRole("button", { name: ui.start_button, exact: true });
  await start.click();
  const error = opened.frame.locator(".fluister[data-static] .error-message");
  await error.waitFor();
  assert.equal((await error.textContent()).trim(), ui.error_unreachable);
  assert.equal((await opened.frame.locator('[role="status"]').textContent()).trim(), "");
  failing = false;
  await start.click();
  await expectStep(opened.frame, ui.kind_heading);
  assert.deepEqual(opened.problems.filter((problem) => !/ERR_FAILED|Failed to fetch|WebAssembly/i.test(problem)), []);
  await opened.context.close();
});

test("a press whose form's wasm alone cannot be fetched says so, and the next press starts the form with the scripts it already has", async () => {
  const { ui } = translations("nl");
  const opened = await openWithoutWasm("nl");
  await opened.context.unroute("**/*.wasm");
  // The glue and the chunk loader arrive and are imported; the wasm fails, so the glue's start
  // fails after its import: the retry imports the same module again and starts it.
  let failing = true;
  await opened.context.route(/\/w\/widget-[0-9a-f]+_bg\.wasm$/, (route) => (failing ? route.abort() : route.continue()));
  const start = opened.frame.getByRole("button", { name: ui.start_button, exact: true });
  await start.click();
  const error = opened.frame.locator(".fluister[data-static] .error-message");
  await error.waitFor();
  assert.equal((await error.textContent()).trim(), ui.error_unreachable);
  failing = false;
  await start.click();
  await expectStep(opened.frame, ui.kind_heading);
  assert.deepEqual(opened.problems.filter((problem) => !/ERR_FAILED|Failed to fetch|WebAssembly/i.test(problem)), []);
  await opened.context.close();
});
