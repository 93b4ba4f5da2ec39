// The coordinator's workspace (`fluister-inbox app`) in a real Chromium, with every part real: a
// reporter sends a tip through the widget on the example page; the coordinator's inbox (a key
// made by `fluister-inbox keygen`, with a passphrase) pulls it; the app, started without a
// browser, is opened at the address it prints, in a Chromium profile of the test's own. The
// opening address ends on a clean one; unlock with the passphrase; the list shows the tip; its
// case page shows the text; a status and a note are saved; lock. axe-core finds nothing on any
// page, at 320 px nothing scrolls sideways, the keyboard reaches everything, and the CSP is never
// violated. Afterwards neither the browser's profile nor the inbox folder holds the tip's text or
// the note, in UTF-8 or UTF-16.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

import { startStaticServer } from "../tools/static-server.mjs";
import { EXAMPLE_DIRECTORY, launchBrowser, openExamplePage, startRelay, translations } from "./harness.mjs";
import { accessibilityViolations, expectStep, press, scrollsHorizontally, walkToReview } from "./steps.mjs";

const RELAY_BIN = process.env.FLUISTER_RELAY_BIN;
const INBOX_BIN = process.env.FLUISTER_INBOX_BIN;
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const PASSPHRASE = "zeven groene kikkers zingen";
const { ui } = translations("nl");

// Unique words, so a search of the profile's bytes cannot hit anything else.
const DESCRIPTION = "In de bollenschuur aan de Hoofdvaart slapen twaalf mannen, kenmerk werkplek-5531.";
const NOTE = "Gebeld met de arbeidsinspectie, notitie-werkplek-7702";

let stack;
before(async () => {
  assert.ok(RELAY_BIN && INBOX_BIN, "FLUISTER_RELAY_BIN and FLUISTER_INBOX_BIN are set");
  const directory = mkdtempSync(join(tmpdir(), "fluister-app-"));
  const home = join(directory, "inbox");
  const inboxEnvironment = { ...process.env, FLUISTER_PASSPHRASE: PASSPHRASE };
  const keygen = execFileSync(INBOX_BIN, ["--home", home, "--lang", "en", "keygen"], { env: inboxEnvironment, encoding: "utf8" });
  const recipient = keygen.match(/age1[0-9a-z]+/)[0];
  const minted = execFileSync(RELAY_BIN, ["mint-token"], { encoding: "utf8" });
  const coordinator = {
    directory,
    recipient,
    token: minted.match(/fluister-coordinator-[A-Za-z0-9_-]+/)[0],
    tokenHash: minted.match(/token_sha256 = \["([0-9a-f]{64})"\]/)[1],
  };
  // As the harness's startStack, with this inbox's key as the relay's recipient.
  const probe = await startStaticServer({ directory: EXAMPLE_DIRECTORY, relayOrigin: null });
  const pagePort = new URL(probe.origin).port;
  await probe.close();
  const relay = await startRelay({ coordinator, embeddingOrigins: [`http://127.0.0.1:${pagePort}`] });
  const page = await startStaticServer({ directory: EXAMPLE_DIRECTORY, relayOrigin: relay.origin, port: Number(pagePort) });
  const browser = await launchBrowser();
  const inbox = (args) =>
    execFileSync(INBOX_BIN, ["--home", home, ...args], {
      env: { ...inboxEnvironment, FLUISTER_RELAY_URL: relay.origin, FLUISTER_TOKEN: coordinator.token },
      encoding: "utf8",
    });
  stack = {
    coordinator,
    home,
    relay,
    page,
    browser,
    inbox,
    async close() {
      await browser.close();
      await page.close();
      await relay.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});
after(async () => {
  await stack?.close();
});

/** Starts `fluister-inbox app` without a browser; resolves with the process and the opening
 * address it prints. */
async function startApp(home, lockAfter = "10m") {
  const child = spawn(INBOX_BIN, ["--home", home, "--lang", "nl", "app", "--no-browser", "--port", "0", "--lock-after", lockAfter], {
    stdio: ["ignore", "pipe", "inherit"],
    // The passphrase is typed into the page, never taken from the environment.
    env: { ...process.env, FLUISTER_PASSPHRASE: "" },
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  const openingUrl = await new Promise((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const match = output.match(/(http:\/\/127\.0\.0\.1:\d+\/open\?secret=[0-9a-f]{64})/);
      if (match) {
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`the app exited early (${code})`)));
  });
  return {
    openingUrl,
    origin: new URL(openingUrl).origin,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) {
        resolve();
        return;
      }
      child.once("exit", resolve);
      child.kill("SIGTERM");
    }),
  };
}

/** Every file under `directory` whose bytes hold `text` in UTF-8 or UTF-16LE. */
function filesHolding(directory, text) {
  const needles = [Buffer.from(text, "utf8"), Buffer.from(text, "utf16le")];
  const found = [];
  const walk = (folder) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      let stats;
      try {
        stats = statSync(path);
      } catch {
        continue;
      }
      if (stats.isDirectory()) {
        walk(path);
      } else if (stats.isFile()) {
        const bytes = readFileSync(path);
        if (needles.some((needle) => bytes.includes(needle))) {
          found.push(path);
        }
      }
    }
  };
  walk(directory);
  return found;
}

// With FLUISTER_APP_SCREENSHOTS=DIR, each checked page is also saved there as a PNG, to look at.
const SCREENSHOTS = process.env.FLUISTER_APP_SCREENSHOTS;

async function expectNoViolations(page, where) {
  const violations = await accessibilityViolations(page);
  assert.deepEqual(violations, [], `${where}: ${JSON.stringify(violations, null, 2)}`);
  if (SCREENSHOTS) {
    await page.screenshot({ path: join(SCREENSHOTS, `${where.toLowerCase().replaceAll(/[^a-z]+/g, "-")}.png`), fullPage: true });
  }
}

test("the coordinator opens the app, unlocks, reads the tip sent through the widget, saves a status and a note, and locks; nothing of it stays on disk", async () => {
  // The reporter sends a tip with only the description.
  const reporter = await openExamplePage(stack);
  await walkToReview(reporter.frame, ui, DESCRIPTION);
  await press(reporter.frame, ui.send);
  await expectStep(reporter.frame, ui.receipt_heading);
  await reporter.context.close();

  // The coordinator pulls it (sealed, into the inbox folder).
  stack.inbox(["--lang", "en", "pull"]);
  assert.deepEqual(filesHolding(stack.home, "werkplek-5531"), [], "the store holds only sealed files");

  const app = await startApp(stack.home);
  const profile = mkdtempSync(join(tmpdir(), "fluister-app-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1000, height: 900 },
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const problems = [];
    page.on("console", (message) => {
      // A 401 for the wrong passphrase and the browser's own favicon request (404) are
      // expected; anything the policy blocked, or a script error, is not.
      if (/Content Security Policy|Refused to/i.test(message.text()) || (message.type() === "error" && !/Failed to load resource/.test(message.text()))) {
        problems.push(message.text());
      }
    });
    page.on("pageerror", (error) => problems.push(String(error)));

    // The opening address ends on a clean one, the unlock page.
    await page.goto(app.openingUrl);
    assert.equal(page.url(), `${app.origin}/unlock`);
    await page.getByRole("heading", { level: 1, name: "Ontgrendelen" }).waitFor();
    await expectNoViolations(page, "unlock");
    // The same address a second time opens nothing (in a context without the cookie).
    const stranger = await stack.browser.newContext();
    const strangerPage = await stranger.newPage();
    const second = await strangerPage.goto(app.openingUrl);
    assert.equal(second.status(), 403);
    await stranger.close();

    // A wrong passphrase: one plain sentence, the field marked.
    await page.getByLabel("Wachtzin").fill("verkeerde wachtzin hier");
    await page.getByRole("button", { name: "Ontgrendelen" }).click();
    await page.getByRole("alert").waitFor();
    assert.match(await page.getByRole("alert").innerText(), /Ontgrendelen lukte niet/);
    assert.equal(await page.getByLabel("Wachtzin").getAttribute("aria-invalid"), "true");
    await expectNoViolations(page, "unlock, wrong passphrase");

    // Unlocked by keyboard only: the field has focus, Enter sends it.
    await page.getByLabel("Wachtzin").focus();
    await page.keyboard.type(PASSPHRASE);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Meldingen" }).waitFor();
    assert.equal(page.url(), `${app.origin}/`);
    const rows = page.locator("table.tip-table tbody tr");
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), /nieuw/);
    await expectNoViolations(page, "list");
    await page.setViewportSize({ width: 320, height: 800 });
    assert.equal(await scrollsHorizontally(page), false, "the list fits 320 px");
    await page.setViewportSize({ width: 1000, height: 900 });

    // A filter that matches nothing, then back.
    await page.getByLabel("Status").selectOption("closed");
    await page.getByRole("button", { name: "Toon" }).click();
    await page.getByText("Geen meldingen met deze filters.").waitFor();
    assert.equal(new URL(page.url()).searchParams.get("status"), "closed");
    await page.getByLabel("Status").selectOption("");
    await page.getByRole("button", { name: "Toon" }).click();

    // The case, reached by keyboard: Tab to the tip's link and press Enter.
    const link = page.getByRole("link", { name: /Melding 1$/ });
    let reached = false;
    for (let presses = 0; presses < 20 && !reached; presses += 1) {
      await page.keyboard.press("Tab");
      reached = await link.evaluate((element) => element === document.activeElement);
    }
    assert.ok(reached, "the tip's link is reachable with Tab");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Melding 1" }).waitFor();
    assert.ok(await page.getByText(DESCRIPTION, { exact: true }).isVisible());
    await expectNoViolations(page, "case");
    await page.setViewportSize({ width: 320, height: 800 });
    assert.equal(await scrollsHorizontally(page), false, "the case fits 320 px");
    await page.setViewportSize({ width: 1000, height: 900 });

    // Status and a note.
    await page.getByLabel("Status", { exact: true }).selectOption("in-progress");
    await page.getByLabel("Nieuwe notitie").fill(NOTE);
    await page.getByRole("button", { name: "Opslaan" }).click();
    await page.getByRole("status").filter({ hasText: "Opgeslagen." }).waitFor();
    assert.ok(await page.getByText(NOTE).isVisible());
    assert.equal(await page.getByLabel("Status", { exact: true }).inputValue(), "in-progress");
    await expectNoViolations(page, "case, saved");
    // The command line reads what the app saved.
    assert.match(stack.inbox(["--lang", "nl", "triage", "1"]), /notitie-werkplek-7702/);

    // The list shows the new status; English on request.
    await page.getByRole("link", { name: "Meldingen", exact: true }).click();
    assert.match(await rows.first().innerText(), /in behandeling/);
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("heading", { level: 1, name: "Tips" }).waitFor();
    await expectNoViolations(page, "list, English");
    await page.getByRole("button", { name: "Nederlands" }).click();

    // The statistics page, its chart (an image the app serves) and the CSV link.
    await page.getByRole("link", { name: "Statistieken", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Statistieken" }).waitFor();
    const chart = page.getByRole("img");
    await chart.waitFor();
    assert.ok(await chart.evaluate((image) => image.complete && image.naturalWidth > 0), "the chart loads");
    assert.equal(await page.getByRole("link", { name: /CSV/ }).getAttribute("href"), "/stats.csv");
    await expectNoViolations(page, "statistics");
    await page.setViewportSize({ width: 320, height: 800 });
    assert.equal(await scrollsHorizontally(page), false, "the statistics fit 320 px");
    await page.setViewportSize({ width: 1000, height: 900 });

    // Lock: every page asks for the passphrase again.
    await page.getByRole("button", { name: "Vergrendelen" }).click();
    await page.getByText("De werkplek is vergrendeld.").waitFor();
    await page.goto(`${app.origin}/tips/1`);
    assert.equal(page.url(), `${app.origin}/unlock`);
    assert.equal(await page.getByText(DESCRIPTION).count(), 0);
    await expectNoViolations(page, "locked");

    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await app.stop();
  }

  // Nothing of the tip or the note in the browser's profile or the inbox folder. (The search
  // itself finds a UTF-16 copy planted in the profile.)
  const planted = join(profile, "planted-control");
  writeFileSync(planted, Buffer.from("x werkplek-5531 x", "utf16le"));
  assert.deepEqual(filesHolding(profile, "werkplek-5531"), [planted]);
  rmSync(planted);
  for (const text of ["werkplek-5531", "notitie-werkplek-7702"]) {
    assert.deepEqual(filesHolding(profile, text), [], `the profile holds ${text}`);
    assert.deepEqual(filesHolding(stack.home, text), [], `the inbox folder holds ${text}`);
  }
  rmSync(profile, { recursive: true, force: true });
});
