// `cargo xtask bench widget`: what the widget costs a reporter, measured in headless Chromium
// against the real relay. Prints numbers; asserts nothing.
//
//  1. bytes of a first visit (loader, iframe document, CSS, scripts, wasm, the Dutch table):
//     as transferred from the relay here (uncompressed) and as a compressing proxy would send
//     them (gzip -9, brotli 11, from `cargo xtask widget`'s sizes.json);
//  2. time from starting to load the host page to the form being interactive (first step's
//     heading in the frame), cold cache;
//  3. time from pressing "send" to the receipt code, at the relay's default proof of work.

import { readFileSync } from "node:fs";
import { join } from "node:path";

import { startStack, translations } from "../browser/harness.mjs";

const RUNS = Number(process.env.FLUISTER_BENCH_RUNS ?? 10);
const DEFAULT_DIFFICULTY = 160;
const assets = process.env.FLUISTER_WIDGET_ASSETS;
const { ui } = translations("nl");

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (fraction) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
  return `median ${at(0.5).toFixed(0)} ms, min ${sorted[0].toFixed(0)} ms, p90 ${at(0.9).toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms (${sorted.length} runs)`;
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

const stack = await startStack({ difficulty: DEFAULT_DIFFICULTY });
try {
  const sizes = JSON.parse(readFileSync(join(assets, "sizes.json"), "utf8"));
  console.log("First load, bytes (Dutch):");
  for (const file of sizes.files) {
    console.log(`  ${file.label.padEnd(16)} raw ${String(file.raw).padStart(7)}  gzip ${String(file.gzip).padStart(7)}  brotli ${String(file.brotli).padStart(7)}`);
  }
  console.log(`  ${"total".padEnd(16)} raw ${String(sizes.total.raw).padStart(7)}  gzip ${String(sizes.total.gzip).padStart(7)}  brotli ${String(sizes.total.brotli).padStart(7)}`);

  const loadTimes = [];
  const sendTimes = [];
  let transferred = 0;
  for (let run = 0; run < RUNS; run += 1) {
    const context = await stack.browser.newContext();
    const page = await context.newPage();
    let bytesFromRelay = 0;
    page.on("requestfinished", async (request) => {
      if (request.url().startsWith(stack.relay.origin) && !request.url().includes("/api/")) {
        const sizes = await request.sizes();
        bytesFromRelay += sizes.responseBodySize + sizes.responseHeadersSize;
      }
    });
    const started = performance.now();
    await page.goto(`${stack.page.origin}/`);
    const frame = await (await page.waitForSelector("iframe.fluister-frame")).contentFrame();
    await frame.getByRole("heading", { name: ui.start_heading, exact: true }).waitFor();
    loadTimes.push(performance.now() - started);
    transferred = bytesFromRelay;

    await frame.getByRole("button", { name: ui.start_button, exact: true }).click();
    for (let step = 0; step < 5; step += 1) {
      await frame.getByRole("button", { name: ui.next, exact: true }).click();
    }
    await frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill(`benchmark tip ${run}`);
    await frame.getByRole("button", { name: ui.next, exact: true }).click();
    await frame.getByRole("button", { name: ui.next, exact: true }).click();
    await frame.getByRole("heading", { name: ui.review_heading, exact: true }).waitFor();
    sendTimes.push(await timeToStep(frame, ui.send, ui.receipt_heading));
    await context.close();
  }
  console.log(`Transferred from the relay on a first visit (uncompressed, with headers): ${transferred} bytes`);
  console.log(`Page load to interactive form (cold cache): ${summary(loadTimes)}`);
  console.log(`Send to receipt (proof of work difficulty ${DEFAULT_DIFFICULTY}, 4 MiB): ${summary(sendTimes)}`);
} finally {
  await stack.close();
}
