// `cargo xtask bench widget`: what the widget costs a reporter, measured in headless Chromium
// against the real relay. Prints numbers; asserts nothing.
//
//  1. bytes of a first visit (loader, iframe document with its CSS, the start script, and the
//     relay's configuration, for its phone numbers): as transferred from the relay here (as
//     sent, brotli; counted a second after the start screen is up, without touching it) and as a
//     compressing proxy would send them (gzip -9, brotli 11, from `cargo xtask widget`'s
//     sizes.json); the form (JS glue, chunk loader, wasm, the Dutch table), fetched when the
//     reporter comes near it; the later steps' chunks (the first question's, fetched once the
//     form has taken over, the other questions', fetched once it has arrived, chunks of code
//     they share, and the delivery chunk, which the first question fetches); and the crypto worker's
//     bytes, loaded only once the reporter starts the questions (or checks for an answer);
//  2. time from starting to load the host page to the start screen in the frame (its buttons
//     work from then on), cold cache; and from pressing "start" to the first question, which
//     includes fetching the form, its table and the first question's chunks;
//  3. time from pressing "send" to the receipt code, at the relay's default proof of work, for a
//     reporter whose mailbox was opened while they filled in the form, more than 7 seconds
//     before (one who sends sooner also waits for that, and for the pause of 3 to 7 seconds the
//     widget keeps between the mailbox and the tip);
//  4. time from pressing "open my mailbox" with a valid receipt code to the conversation, in a
//     fresh context: the crypto worker starts, derives the keys (Argon2id, then HKDF), one GET,
//     and the coordinator's question (sent with the real `fluister-inbox reply`) is opened;
//  5. the key derivation alone: one `unlock` round trip to a crypto worker that has already
//     loaded its wasm, timed inside the page;
//  6. like a cheap phone on a weak signal: Chromium's network emulation (400 kbit/s each way,
//     400 ms round trip) and 4x CPU slowdown, cold cache, the example page in Dutch: time from
//     navigation to the 112 banner visible in the frame (and where that time goes: the loader's
//     arrival, the frame made, its document arrived, its first paint), to the phone numbers
//     visible, and to the first question usable (the start button on the document's own start
//     screen pressed the moment it is on screen, and again every 50 ms until the start script
//     has taken the press (it says "loading"), as a reporter who knows what they came for
//     would; that fetches the form; then the first question's heading and choices on screen),
//     from "next" pressed on it at once to the second question (whose chunk loads behind the
//     first's), and from pressing "send" to the receipt code as in 3; then, with each visit's
//     receipt code, a visit back to check for an answer: "check for an answer" pressed the same
//     way, to the code's input usable, how long the crypto worker's files take to arrive while
//     the code is typed (the page fetches them ahead), and from "open my mailbox" (the code typed
//     in 10 s) to the conversation. Chromium slows only the page's thread and requests, not its
//     workers', so the crypto worker (the proof of work, sealing, the key derivation, and its own
//     requests) runs at this machine's speed in this item.
//     Then the floor of this design, the same visits with the frame's document cut down to the
//     112 line and the phone numbers: the time to the banner that no document behind a loader
//     on a host page can beat.
//  7. sealing a tip in the crypto worker, to one X25519 coordinator key and to one hybrid
//     post-quantum key (`mlkem768x25519`, whose tip also names the reporter's hybrid reply key),
//     one `seal_tip` round trip each, timed inside the page with the worker's wasm already
//     loaded and the receipt code prepared; and the size of such a sealed tip (a description of
//     300 characters; to one and to three keys).
//  8. the proof of work alone, in a crypto worker of the widget's own script with its wasm
//     loaded: a fresh challenge from the relay at the default difficulty, timed from the worker
//     request to its answer, for challenges of one puzzle (`?version=1`, as before split
//     challenges) and split ones (`?version=2`, what the widget asks for), interleaved.
//
// FLUISTER_BENCH_RUNS (default 10) sets the runs of 1-5 on the fast machine, 0 to skip them;
// FLUISTER_BENCH_PHONE_RUNS (default 5) those of 6; FLUISTER_BENCH_SEAL_RUNS (default 100) those
// of 7 for each kind of key; FLUISTER_BENCH_POW_RUNS (default 100) those of 8 for each version.
// FLUISTER_BENCH_PUZZLES sets the relay's `proof_of_work.puzzles` (default: the relay's own);
// 1 gives every client the one-puzzle challenge of before.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync } from "node:zlib";

import { makeCoordinator, runInbox, startStack, translations, widgetFrame, WORKSPACE } from "../browser/harness.mjs";
import { pressNext } from "../browser/steps.mjs";

const RUNS = Number(process.env.FLUISTER_BENCH_RUNS ?? 10);
const PHONE_RUNS = Number(process.env.FLUISTER_BENCH_PHONE_RUNS ?? 5);
const SEAL_RUNS = Number(process.env.FLUISTER_BENCH_SEAL_RUNS ?? 100);
const POW_RUNS = Number(process.env.FLUISTER_BENCH_POW_RUNS ?? 100);
const PUZZLES = process.env.FLUISTER_BENCH_PUZZLES === undefined ? undefined : Number(process.env.FLUISTER_BENCH_PUZZLES);
/** The slow connection: 400 kbit/s each way (in bytes per second) and a 400 ms round trip. */
const PHONE_NETWORK = { offline: false, latency: 400, downloadThroughput: 400000 / 8, uploadThroughput: 400000 / 8 };
const PHONE_CPU_SLOWDOWN = 4;
const DEFAULT_DIFFICULTY = 160;
const assets = process.env.FLUISTER_WIDGET_ASSETS;
const { ui } = translations("nl");
/** What `phoneTimingScript` presses, and the step that press leads to. */
const PRESS_START = { button: ui.start_button, heading: ui.kind_heading, usable: 'input[name="kind"]' };
const PRESS_CHECK = { button: ui.start_check_button, heading: ui.check_heading, usable: "#receipt-input" };

/** The Argon2id parameters of the receipt key derivation, read from the envelope's source so the
 * printout cannot fall behind it. */
function receiptArgon2Parameters() {
  const source = readFileSync(join(WORKSPACE, "envelope", "src", "receipt.rs"), "utf8");
  const constant = (name) => {
    const expression = source.match(new RegExp(`pub const ${name}: u32 = ([0-9 *]+);`))[1];
    return expression.split("*").reduce((product, factor) => product * Number(factor.trim()), 1);
  };
  const memoryKib = constant("ARGON2_MEMORY_KIB");
  return `Argon2id m=${memoryKib / 1024} MiB, t=${constant("ARGON2_TIME_COST")}, p=${constant("ARGON2_PARALLELISM")}`;
}

function summary(values, digits = 0) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (fraction) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
  const ms = (value) => `${value.toFixed(digits)} ms`;
  return `median ${ms(at(0.5))}, min ${ms(sorted[0])}, p90 ${ms(at(0.9))}, max ${ms(sorted[sorted.length - 1])} (${sorted.length} runs)`;
}

/**
 * Clicks the button named `buttonName` and waits for the step headed `heading`; returns the time
 * from the click to the heading as the frame itself saw them (a click listener and a mutation
 * observer), so that Playwright's polling, which can add up to half a second, stays out of it.
 */
async function timeToStep(frame, buttonName, heading) {
  await frame.evaluate((heading) => {
    const timing = {};
    window.benchmarkTiming = timing;
    document.addEventListener("click", () => { timing.clicked = performance.now(); }, { capture: true, once: true });
    const observer = new MutationObserver(() => {
      if (document.getElementById("step-heading")?.textContent.trim() === heading) {
        timing.shown = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  }, heading);
  await frame.getByRole("button", { name: buttonName, exact: true }).click();
  await frame.getByRole("heading", { name: heading, exact: true }).waitFor({ timeout: 120000 });
  return frame.evaluate(() => window.benchmarkTiming.shown - window.benchmarkTiming.clicked);
}

/** How many tips this run of the benchmark has sent (items 3 and 6), each with a mailbox. */
let tipsSent = 0;

/** Records when the page's mailbox registration (`POST /api/v1/mailboxes`) has finished. */
function watchMailboxOpening(page) {
  const mailbox = { openedAt: null };
  page.on("requestfinished", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/v1/mailboxes") {
      mailbox.openedAt = Date.now();
    }
  });
  return mailbox;
}

/**
 * From the first question (or, with `fromSecond`, the second) to the receipt: leaves every
 * question as it is but the description, goes on to the review, waits until the mailbox has been
 * open for 7 s (not timed: it was opened at a random moment while the reporter filled in the
 * form, in a request of its own, paid for too), and returns the time from pressing "send" to the
 * receipt code.
 */
async function sendFromFirstQuestion(page, frame, mailbox, description, { fromSecond = false } = {}) {
  await pressNext(frame, ui, fromSecond ? 4 : 5);
  await frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill(description);
  await frame.getByRole("button", { name: ui.next, exact: true }).click();
  await frame.getByRole("button", { name: ui.next, exact: true }).click();
  await frame.getByRole("heading", { name: ui.review_heading, exact: true }).waitFor({ timeout: 120000 });
  while (mailbox.openedAt === null || Date.now() - mailbox.openedAt < 7000) {
    await page.waitForTimeout(100);
  }
  const time = await timeToStep(frame, ui.send, ui.receipt_heading);
  tipsSent += 1;
  return time;
}

/**
 * Runs in every frame before its document's own scripts (Playwright's init script, outside the
 * frame's Content Security Policy): in the widget's frame, records when the 112 link and the
 * first phone number are first on screen, presses `button` ("start" or "check for an answer") on
 * the document's own start screen (marked `data-static`) the moment it is on screen, records
 * when the form's wasm has taken over (a `.fluister` without `data-static`) and when the step
 * the press leads to is usable (`step`: its heading `heading` and the element `usable` on
 * screen: the first question's choices, or the receipt code's input).
 * Times are wall-clock milliseconds (`timeOrigin + now()`), so the host page's navigation start
 * can be taken from them.
 */
function phoneTimingScript({ button: buttonName, heading: stepHeading, usable }) {
  if (!location.pathname.startsWith("/w/")) {
    return;
  }
  const timing = {};
  window.phoneTiming = timing;
  const now = () => performance.timeOrigin + performance.now();
  const onScreen = (element) => {
    if (!element || !element.isConnected) {
      return false;
    }
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && element.checkVisibility();
  };
  // Seen in the DOM and laid out: the time is taken in the next animation frame, when it paints.
  const mark = (name) => {
    if (timing[name] !== undefined || timing[`${name}Pending`]) {
      return;
    }
    timing[`${name}Pending`] = true;
    requestAnimationFrame(() => { timing[name] = now(); });
  };
  let pressed = false;
  const look = () => {
    if (onScreen(document.querySelector('a[href="tel:112"]'))) {
      mark("banner");
    }
    if (onScreen(document.querySelector('.alternatives a[href^="tel:"]'))) {
      mark("phoneNumbers");
    }
    const button = [...document.querySelectorAll(".fluister[data-static] button")]
      .find((candidate) => candidate.textContent.trim() === buttonName);
    if (!pressed && onScreen(button)) {
      pressed = true;
      // Until the start script runs, a press does nothing: press again, as a reporter would.
      const press = () => {
        if (!button.isConnected || document.querySelector('.fluister[data-static] [role="status"]')?.textContent) {
          return;
        }
        timing.pressed = now();
        button.click();
        setTimeout(press, 50);
      };
      press();
    }
    if (timing.formLive === undefined && document.querySelector(".fluister:not([data-static])")) {
      timing.formLive = now();
    }
    const heading = document.getElementById("step-heading");
    if (pressed && heading?.textContent.trim() === stepHeading && onScreen(document.querySelector(usable))) {
      mark("step");
    }
    if (timing.step !== undefined) {
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(look);
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  document.addEventListener("DOMContentLoaded", look);
}

/**
 * One visit like a cheap phone's: a fresh context (cold cache), the slow network and CPU; after
 * the first question, the reporter goes on to send a tip (item 3's walk), timed from "send" to
 * the receipt code.
 */
/**
 * Opens the example page in `page` (of a fresh context, with `phoneTimingScript` added) on the
 * slow network and CPU; returns the widget's frame, as soon as it exists.
 */
async function openLikeAPhone(stack, context, page) {
  const session = await context.newCDPSession(page);
  await session.send("Network.enable");
  await session.send("Network.emulateNetworkConditions", PHONE_NETWORK);
  await session.send("Emulation.setCPUThrottlingRate", { rate: PHONE_CPU_SLOWDOWN });
  await page.goto(`${stack.page.origin}/`, { waitUntil: "commit" });
  const frame = await widgetFrame(page, stack.relay.origin);
  // The emulation is set on the page's session: the frame must share its process (the relay
  // and the example page are both on 127.0.0.1, one site), or it would run unthrottled.
  const ownSession = await context.newCDPSession(frame).then(() => true, () => false);
  if (ownSession) {
    throw new Error("the widget's frame runs in a process of its own: the emulation would not reach it");
  }
  return frame;
}

/** The frame's arrival as its own Performance entries tell it, in wall-clock milliseconds: when
 * its navigation began, when its document had fully arrived, and its first contentful paint. */
async function frameArrival(frame) {
  await frame.waitForFunction(() => performance.getEntriesByType("paint").some((entry) => entry.name === "first-contentful-paint"), null, { timeout: 120000, polling: 100 });
  return frame.evaluate(() => {
    const navigation = performance.getEntriesByType("navigation")[0];
    const firstPaint = performance.getEntriesByType("paint").find((entry) => entry.name === "first-contentful-paint");
    return {
      created: performance.timeOrigin,
      received: performance.timeOrigin + navigation.responseEnd,
      painted: performance.timeOrigin + firstPaint.startTime,
    };
  });
}

async function phoneVisit(stack, run) {
  const context = await stack.browser.newContext();
  try {
    await context.addInitScript(phoneTimingScript, PRESS_START);
    const page = await context.newPage();
    const mailbox = watchMailboxOpening(page);
    const frame = await openLikeAPhone(stack, context, page);
    await frame.waitForFunction(() => window.phoneTiming?.step !== undefined, null, { timeout: 120000, polling: 100 });
    const navigationStart = await page.evaluate(() => performance.timeOrigin);
    const timing = await frame.evaluate(() => window.phoneTiming);
    // Where the time to the banner goes: when the loader had arrived on the host page, when it
    // made the frame (its navigation began), when the frame's document had fully arrived, and
    // the frame's first paint as the browser reports it (Paint Timing).
    const loaderArrived = await page.evaluate(() => {
      const loader = performance.getEntriesByType("resource").find((entry) => new URL(entry.name).pathname === "/embed.js");
      return performance.timeOrigin + loader.responseEnd;
    });
    const frameDocument = await frameArrival(frame);
    // "Next" pressed the moment the first question is usable: the other questions' chunk may
    // still be on its way.
    const firstToSecond = await timeToStep(frame, ui.next, ui.role_heading);
    const sendToReceipt = await sendFromFirstQuestion(page, frame, mailbox, `phone benchmark tip ${run}`, { fromSecond: true });
    return {
      receiptCode: (await frame.locator("#receipt-code").innerText()).trim(),
      sendToReceipt,
      firstToSecond,
      loaderArrived: loaderArrived - navigationStart,
      frameCreated: frameDocument.created - navigationStart,
      documentReceived: frameDocument.received - navigationStart,
      firstPaint: frameDocument.painted - navigationStart,
      banner: timing.banner - navigationStart,
      phoneNumbers: timing.phoneNumbers - navigationStart,
      pressed: timing.pressed - navigationStart,
      formLive: timing.formLive - navigationStart,
      firstQuestion: timing.step - navigationStart,
    };
  } finally {
    await context.close();
  }
}

/** How long a reporter takes to type the receipt code in (24 letters and digits): a fast 2.4
 * characters a second on a phone's keyboard. */
const CODE_TYPING_MILLISECONDS = 10000;

/**
 * A reporter back on a cheap phone to check for an answer, with the receipt code of an earlier
 * visit: "check for an answer" pressed on the document's own start screen the moment it is on
 * screen, the code typed in once its input is usable (in `CODE_TYPING_MILLISECONDS`), and "open
 * my mailbox" pressed, timed to the conversation (the crypto worker derives the keys, loaded by
 * then or not; it is not slowed, see item 6).
 */
async function phoneCheckVisit(stack, receiptCode) {
  const context = await stack.browser.newContext();
  try {
    await context.addInitScript(phoneTimingScript, PRESS_CHECK);
    const page = await context.newPage();
    const frame = await openLikeAPhone(stack, context, page);
    await frame.waitForFunction(() => window.phoneTiming?.step !== undefined, null, { timeout: 120000, polling: 100 });
    const navigationStart = await page.evaluate(() => performance.timeOrigin);
    const timing = await frame.evaluate(() => window.phoneTiming);
    await frame.getByRole("textbox", { name: ui.check_code_label, exact: true }).fill(receiptCode);
    // The time it takes to type the code in, counted from the input's first paint.
    const typed = timing.step + CODE_TYPING_MILLISECONDS;
    await page.waitForTimeout(Math.max(0, typed - await frame.evaluate(() => performance.timeOrigin + performance.now())));
    // The crypto worker's files as the page fetched them while the code was typed (the page's
    // requests are slowed; the worker's own are not): from the input's first paint to the last
    // one's arrival.
    const workerFiles = await frame.evaluate(() => performance.getEntriesByType("resource")
      .filter((entry) => /^\/w\/(worker|crypto)-/.test(new URL(entry.name).pathname))
      .map((entry) => performance.timeOrigin + entry.responseEnd));
    const codeToConversation = await timeToStep(frame, ui.check_button, ui.conversation_heading);
    return {
      checkPressed: timing.pressed - navigationStart,
      codeEntry: timing.step - navigationStart,
      workerFilesFetched: workerFiles.length === 3 ? Math.max(...workerFiles) - timing.step : undefined,
      codeToConversation,
    };
  } finally {
    await context.close();
  }
}

async function phoneBenchmark(stack) {
  const visits = [];
  for (let run = 0; run < PHONE_RUNS; run += 1) {
    visits.push(await phoneVisit(stack, run));
  }
  const checks = [];
  for (const { receiptCode } of visits) {
    checks.push(await phoneCheckVisit(stack, receiptCode));
  }
  const conditions = `${PHONE_NETWORK.downloadThroughput * 8 / 1000} kbit/s, ${PHONE_NETWORK.latency} ms round trip, ${PHONE_CPU_SLOWDOWN}x CPU slowdown, cold cache`;
  const times = (name) => summary(visits.map((visit) => visit[name]));
  console.log(`Like a cheap phone (${conditions}), from navigation:`);
  console.log(`  the loader had arrived: ${times("loaderArrived")}`);
  console.log(`  the loader made the frame: ${times("frameCreated")}`);
  console.log(`  the frame's document had arrived: ${times("documentReceived")}`);
  // Some Chromium versions leave the frame's own navigation out of the emulation: its document
  // then arrives sooner than one round trip after the frame was made, and every time from
  // navigation here is that much short of a phone's.
  const frameRequests = visits.map((visit) => visit.documentReceived - visit.frameCreated).sort((a, b) => a - b);
  if (frameRequests[Math.floor(frameRequests.length / 2)] < PHONE_NETWORK.latency) {
    console.log(`  !! the frame's document arrived sooner than one ${PHONE_NETWORK.latency} ms round trip after the frame was made (${summary(frameRequests)}): this Chromium did not slow the frame's navigation, so the times from navigation below are about a round trip short of a phone's`);
  }
  console.log(`  the frame's first contentful paint (Paint Timing): ${times("firstPaint")}`);
  console.log(`  112 banner visible: ${times("banner")}`);
  console.log(`  phone numbers visible: ${times("phoneNumbers")}`);
  console.log(`  start pressed on the document's own start screen (the press the start script took): ${times("pressed")}`);
  console.log(`  the form's wasm took over: ${times("formLive")}`);
  console.log(`  first question usable: ${times("firstQuestion")}`);
  console.log(`  from "next" pressed on the first question the moment it is usable to the second: ${times("firstToSecond")}`);
  // Chromium slows only the page's own thread, not its workers: the crypto worker's proof of
  // work and sealing run at this machine's full speed here (see items 7 and 8 for their share).
  console.log(`  send to receipt, the mailbox open for 7 s already (the crypto worker not slowed: Chromium slows the page's thread only): ${times("sendToReceipt")}`);
  const checkTimes = (name) => summary(checks.map((check) => check[name]));
  console.log("  back to check for an answer, with the receipt code of one of these visits:");
  console.log(`    "check for an answer" pressed on the document's own start screen: ${checkTimes("checkPressed")}`);
  console.log(`    the receipt code's input usable: ${checkTimes("codeEntry")}`);
  const fetchedAhead = checks.filter((check) => check.workerFilesFetched !== undefined);
  if (fetchedAhead.length > 0) {
    console.log(`    the crypto worker's three files fetched by the page while the code is typed, from the input's first paint to the last one's arrival (the ${fetchedAhead.length} of ${checks.length} visits where all three had arrived when "open my mailbox" was pressed): ${summary(fetchedAhead.map((check) => check.workerFilesFetched))}`);
  }
  console.log(`    from "open my mailbox" pressed, the code typed in ${CODE_TYPING_MILLISECONDS / 1000} s, to the conversation (the crypto worker not slowed): ${checkTimes("codeToConversation")}`);
}

/**
 * Item 6's floor: the same visit, but the frame's document (Dutch) cut down to the 112 line and
 * the phone numbers as the real one has them, without its style sheet, start screen or start
 * script, served by a relay of its own from a copy of the assets. What is left of the time to
 * the banner is the three requests one after another (the page, the loader, the frame's
 * document) on the slow network, and the browser making and painting a frame on the slow CPU:
 * no document of this design shows the banner sooner.
 */
async function phoneFloorBenchmark() {
  const directory = mkdtempSync(join(tmpdir(), "fluister-bench-floor-"));
  cpSync(assets, directory, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(assets, "asset-manifest.json"), "utf8"));
  const dutch = readFileSync(join(assets, manifest.documents.nl), "utf8");
  const piece = (pattern) => {
    const found = dutch.match(pattern);
    if (!found) {
      throw new Error(`the Dutch document has no ${pattern}: the floor would not be the same words`);
    }
    return found[0];
  };
  const banner = piece(/<p class="danger">.*?<\/p>/s);
  const numbers = piece(/<section class="alternatives".*?<\/section>/s);
  const cutDown = `<!doctype html>\n<html lang="nl"><meta charset="utf-8"><title>Fluister</title><body>${banner}${numbers}</body></html>\n`;
  for (const file of [manifest.index, manifest.documents.nl]) {
    writeFileSync(join(directory, file), cutDown);
    writeFileSync(join(directory, `${file}.br`), brotliCompressSync(Buffer.from(cutDown)));
  }
  const stack = await startStack({ difficulty: DEFAULT_DIFFICULTY, widget: { assets_dir: directory } });
  try {
    const visits = [];
    for (let run = 0; run < PHONE_RUNS; run += 1) {
      const context = await stack.browser.newContext();
      try {
        await context.addInitScript(phoneTimingScript, PRESS_START);
        const page = await context.newPage();
        const frame = await openLikeAPhone(stack, context, page);
        await frame.waitForFunction(() => window.phoneTiming?.banner !== undefined && window.phoneTiming?.phoneNumbers !== undefined, null, { timeout: 120000, polling: 100 });
        const navigationStart = await page.evaluate(() => performance.timeOrigin);
        const timing = await frame.evaluate(() => window.phoneTiming);
        const arrival = await frameArrival(frame);
        visits.push({
          documentReceived: arrival.received - navigationStart,
          banner: timing.banner - navigationStart,
          phoneNumbers: timing.phoneNumbers - navigationStart,
        });
      } finally {
        await context.close();
      }
    }
    const times = (name) => summary(visits.map((visit) => visit[name]));
    console.log(`  the floor: the frame's document cut down to the 112 line and the phone numbers (${Buffer.byteLength(cutDown)} bytes, no style, no script):`);
    console.log(`    its document had arrived: ${times("documentReceived")}`);
    console.log(`    112 banner visible: ${times("banner")}`);
    console.log(`    phone numbers visible: ${times("phoneNumbers")}`);
  } finally {
    await stack.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Item 8: the proof of work alone, one puzzle against split, in a crypto worker in the page. */
async function proofOfWorkBenchmark(stack) {
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${stack.page.origin}/`);
  const frame = await widgetFrame(page, stack.relay.origin);
  await frame.getByRole("heading", { name: ui.start_heading, exact: true }).waitFor();
  const measured = await frame.evaluate(async ({ runs }) => {
    const worker = new Worker(window.document.getElementById("fluister-widget").dataset.worker, { type: "module" });
    let nextId = 1;
    const call = (message) => new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => {
        if (data.percent !== undefined) {
          return;
        }
        if (data.error === undefined) {
          resolve(data.result);
        } else {
          reject(new Error(data.error));
        }
      };
      worker.postMessage({ id: nextId++, ...message });
    });
    const hash = Array.from({ length: 32 }, (_, index) => index);
    const solveOne = async (version) => {
      const response = await fetch(`/api/v1/challenges?version=${version}`, { method: "POST" });
      const challenge = await response.text();
      const started = performance.now();
      const solved = await call({ op: "solve", challenge, hash });
      return { time: performance.now() - started, puzzles: solved.nonces.length, difficulty: JSON.parse(challenge).difficulty };
    };
    try {
      // One untimed solve first: the first hash allocates the memory and compiles the code.
      await solveOne(2);
      const results = { 1: [], 2: [] };
      for (let run = 0; run < runs; run += 1) {
        for (const version of [1, 2]) {
          results[version].push(await solveOne(version));
        }
      }
      return results;
    } finally {
      worker.terminate();
    }
  }, { runs: POW_RUNS });
  await context.close();
  for (const version of ["1", "2"]) {
    const runs = measured[version];
    const times = runs.map((run) => run.time);
    const sorted = [...times].sort((a, b) => a - b);
    const at = (fraction) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
    const label = version === "1" ? "one puzzle (version 1)" : `split into ${runs[0].puzzles} puzzles (version 2)`;
    console.log(`Proof of work alone in the crypto worker, difficulty ${runs[0].difficulty}, ${label}: ${summary(times)}; p90/median ${(at(0.9) / at(0.5)).toFixed(2)}, mean ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(0)} ms`);
  }
}

/** Item 7: `seal_tip` in a crypto worker of the widget's own script, to X25519 and to hybrid
 * keys, timed in the page; and the sealed tips' sizes. */
async function sealingBenchmark(stack) {
  const keys = {};
  for (const kind of ["x25519", "hybrid"]) {
    const coordinators = [0, 1, 2].map(() => makeCoordinator({ keyKind: kind }));
    keys[kind] = coordinators.map((coordinator) => coordinator.recipient);
    for (const coordinator of coordinators) {
      rmSync(coordinator.directory, { recursive: true, force: true });
    }
  }
  const context = await stack.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${stack.page.origin}/`);
  const frame = await widgetFrame(page, stack.relay.origin);
  await frame.getByRole("heading", { name: ui.start_heading, exact: true }).waitFor();
  const document = JSON.stringify({ v: 1, text: "x".repeat(300) });
  const measured = await frame.evaluate(async ({ keys, document, runs }) => {
    const worker = new Worker(window.document.getElementById("fluister-widget").dataset.worker, { type: "module" });
    let nextId = 1;
    const call = (message) => new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => (data.error === undefined ? resolve(data.result) : reject(new Error(data.error)));
      worker.postMessage({ id: nextId++, ...message });
    });
    const size = (result) => atob(result.file.ciphertext.replaceAll("-", "+").replaceAll("_", "/")).length;
    try {
      await call({ op: "prepare_receipt" });
      const results = {};
      for (const kind of Object.keys(keys)) {
        // One untimed seal first: the first use of a kind compiles its code paths.
        await call({ op: "seal_tip", document, recipients: [keys[kind][0]] });
        const times = [];
        for (let run = 0; run < runs; run += 1) {
          const started = performance.now();
          await call({ op: "seal_tip", document, recipients: [keys[kind][0]] });
          times.push(performance.now() - started);
        }
        const one = size(await call({ op: "seal_tip", document, recipients: [keys[kind][0]] }));
        const three = size(await call({ op: "seal_tip", document, recipients: keys[kind] }));
        results[kind] = { times, one, three };
      }
      return results;
    } finally {
      worker.terminate();
    }
  }, { keys, document, runs: SEAL_RUNS });
  await context.close();
  for (const [kind, label] of [["x25519", "X25519"], ["hybrid", "hybrid mlkem768x25519"]]) {
    const { times, one, three } = measured[kind];
    console.log(`Sealing a tip in the crypto worker to one ${label} key (one seal_tip round trip, 300-character description): ${summary(times, 2)}`);
    console.log(`  sealed tip, bytes: ${one} to one key, ${three} to three keys`);
  }
}

const stack = await startStack({ difficulty: DEFAULT_DIFFICULTY, proofOfWork: PUZZLES === undefined ? {} : { puzzles: PUZZLES } });
try {
  const sizes = JSON.parse(readFileSync(join(assets, "sizes.json"), "utf8"));
  const printSizes = (title, { files, total }) => {
    console.log(title);
    for (const file of [...files, { label: "total", ...total }]) {
      console.log(`  ${file.label.padEnd(16)} raw ${String(file.raw).padStart(7)}  gzip ${String(file.gzip).padStart(7)}  brotli ${String(file.brotli).padStart(7)}`);
    }
  };
  printSizes("First load, bytes (Dutch): the start screen and its script", sizes);
  printSizes("The form, fetched when the reporter comes near it (points at, touches or tabs into the start screen, or presses a button), bytes:", sizes.form);
  printSizes("Later steps' chunks: the first question's, fetched once the form has taken over, the other questions', fetched once it has arrived, chunks of code they share, and the delivery chunk, which the first question fetches, bytes:", sizes.later_steps);
  printSizes("Crypto worker, loaded when the questions start, bytes:", sizes.crypto_worker);
  const groups = [sizes, sizes.form, sizes.later_steps, sizes.crypto_worker];
  const whole = (key) => groups.reduce((total, group) => total + group.total[key], 0);
  console.log(`The whole path to a sent tip, bytes: raw ${whole("raw")}  gzip ${whole("gzip")}  brotli ${whole("brotli")}`);

  if (SEAL_RUNS > 0) {
    await sealingBenchmark(stack);
  }
  if (POW_RUNS > 0) {
    await proofOfWorkBenchmark(stack);
  }
  if (PHONE_RUNS > 0) {
    await phoneBenchmark(stack);
    await phoneFloorBenchmark();
  }
  if (RUNS > 0) {
    const loadTimes = [];
    const startTimes = [];
    const sendTimes = [];
    const receiptCodes = [];
    let transferred = 0;
    let transferredFromApi = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const context = await stack.browser.newContext();
      const page = await context.newPage();
      let bytesFromRelay = 0;
      const mailbox = watchMailboxOpening(page);
      let bytesFromApi = 0;
      page.on("requestfinished", async (request) => {
        if (request.url().startsWith(stack.relay.origin)) {
          // A request that ends as the run's context closes has no sizes to give; the first
          // visit's bytes are counted long before that.
          const sizes = await request.sizes().catch(() => null);
          if (!sizes) {
            return;
          }
          const bytes = sizes.responseBodySize + sizes.responseHeadersSize;
          if (request.url().includes("/api/")) {
            bytesFromApi += bytes;
          } else {
            bytesFromRelay += bytes;
          }
        }
      });
      const started = performance.now();
      await page.goto(`${stack.page.origin}/`);
      const frame = await (await page.waitForSelector("iframe.fluister-frame")).contentFrame();
      await frame.getByRole("heading", { name: ui.start_heading, exact: true }).waitFor();
      loadTimes.push(performance.now() - started);
      // A visitor who only reads the start screen: nothing more arrives.
      await page.waitForTimeout(1000);
      transferred = bytesFromRelay;
      transferredFromApi = bytesFromApi;

      startTimes.push(await timeToStep(frame, ui.start_button, ui.kind_heading));
      sendTimes.push(await sendFromFirstQuestion(page, frame, mailbox, `benchmark tip ${run}`));
      receiptCodes.push((await frame.locator("#receipt-code").innerText()).trim());
      await context.close();
    }
    console.log(`Transferred from the relay on a first visit, as sent (brotli where the browser accepts it), response headers included: ${transferred} bytes of the widget's files, and ${transferredFromApi} bytes from its API (the configuration)`);
    console.log(`Page load to the start screen (cold cache; its buttons work from then on): ${summary(loadTimes)}`);
    console.log(`Press start to the first question (fetches the form's wasm, its table and the first question's chunks): ${summary(startTimes)}`);
    const sortedSends = [...sendTimes].sort((a, b) => a - b);
    const sendAt = (fraction) => sortedSends[Math.min(sortedSends.length - 1, Math.floor(fraction * sortedSends.length))];
    console.log(`Send to receipt, the mailbox open for 7 s already (proof of work difficulty ${DEFAULT_DIFFICULTY}, 4 MiB, puzzles: ${PUZZLES ?? "the relay's default"}): ${summary(sendTimes)}; p90/median ${(sendAt(0.9) / sendAt(0.5)).toFixed(2)}`);

    // The coordinator asks something in every mailbox (item 6's too, which the inbox may number
    // among these), so opening one has a message to open.
    runInbox(stack, ["pull"]);
    for (let tipNumber = 1; tipNumber <= tipsSent; tipNumber += 1) {
      runInbox(stack, ["reply", String(tipNumber), `Benchmark question ${tipNumber}: which address?`]);
    }
    const checkTimes = [];
    const deriveTimes = [];
    for (const receiptCode of receiptCodes) {
      const context = await stack.browser.newContext();
      const page = await context.newPage();
      await page.goto(`${stack.page.origin}/`);
      const frame = await (await page.waitForSelector("iframe.fluister-frame")).contentFrame();
      await frame.getByRole("button", { name: ui.start_check_button, exact: true }).click();
      await frame.getByRole("textbox", { name: ui.check_code_label, exact: true }).fill(receiptCode);
      checkTimes.push(await timeToStep(frame, ui.check_button, ui.conversation_heading));
      await frame.locator("ol.conversation > li.message").first().waitFor();

      // The derivation alone: a second crypto worker from the widget's own script, its wasm loaded
      // by a first request, then one `unlock` timed in the page.
      deriveTimes.push(await frame.evaluate(async (code) => {
        const worker = new Worker(document.getElementById("fluister-widget").dataset.worker, { type: "module" });
        const call = (id, message) => new Promise((resolve, reject) => {
          worker.onmessage = ({ data }) => (data.error === undefined ? resolve(data.result) : reject(new Error(data.error)));
          worker.postMessage({ id, ...message });
        });
        try {
          // Any request loads the wasm; preparing a receipt code derives nothing from this one.
          await call(1, { op: "prepare_receipt" });
          const started = performance.now();
          await call(2, { op: "unlock", code });
          return performance.now() - started;
        } finally {
          worker.terminate();
        }
      }, receiptCode));
      await context.close();
    }
    const argon2 = receiptArgon2Parameters();
    console.log(`Receipt code to conversation (fresh context: worker start, ${argon2} + HKDF, one GET, one message opened): ${summary(checkTimes)}`);
    console.log(`Receipt key derivation alone (${argon2} + HKDF, one worker round trip): ${summary(deriveTimes)}`);
  }
} finally {
  await stack.close();
}
