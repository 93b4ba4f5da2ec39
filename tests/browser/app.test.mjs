// The coordinator's workspace (`fluister-inbox app`) in a real Chromium, with every part real: the
// whole story of a tip. A reporter sends a tip through the widget on the example page and keeps the
// receipt code; the coordinator's inbox (a key made by `fluister-inbox keygen`, with a passphrase;
// the relay's address and token stored by `connect`; an offline backup key made by `age-keygen`
// added with `keys add`) is opened in the app, started without a browser, at the address it prints,
// in a Chromium profile of the test's own. The opening address ends on a clean one; unlock with the
// passphrase; the pull button fetches the tip from the relay; the list shows it and its
// filters (status, role, received from/to, text search) find it or not; its case page shows the
// text; a reply sent from the case page is read by the reporter in the widget with the receipt
// code, and the reporter's answer comes in with the next pull; a status and a note are saved; the
// case file downloads as a PDF (and again without the notes); the statistics page shows the chart;
// the settings page shows the relay and the key set, checks the connection, and its backup check
// says the backup key opens every tip, note and message, and that a foreign key (or one the notes
// are not sealed to) does not; lock. axe-core finds nothing on any page, at 320 px nothing scrolls
// sideways, and the CSP is never violated. Afterwards neither the browser's profile nor the inbox
// folder holds the tip's text, the reply, the answer or the note, in UTF-8 or UTF-16, nor the
// pasted backup keys (a page answering a POST keeps the form's body in the browser's session
// history, which Chromium writes to the profile's Sessions folder). Then the coordinator's part
// again with the keyboard only (Tab, Shift+Tab, Enter, Space and typing, after opening the
// address): unlock, pull, the tip, a reply, a status and a note, the PDF, the statistics and the
// backup check, and lock.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { get as httpGet } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

import { startStaticServer } from "../tools/static-server.mjs";
import { EXAMPLE_DIRECTORY, launchBrowser, openExamplePage, startRelay, translations } from "./harness.mjs";
import { accessibilityViolations, expectStep, press, pressNext, scrollsHorizontally } from "./steps.mjs";

const RELAY_BIN = process.env.FLUISTER_RELAY_BIN;
const INBOX_BIN = process.env.FLUISTER_INBOX_BIN;
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const PASSPHRASE = "zeven groene kikkers zingen";
const { ui, vocabulary } = translations("nl");

// Unique words, so a search of the profile's bytes cannot hit anything else.
const DESCRIPTION = "In de bollenschuur aan de Hoofdvaart slapen twaalf mannen, kenmerk werkplek-5531.";
const NOTE = "Gebeld met de arbeidsinspectie, notitie-werkplek-7702";
const REPLY = "Komt de bus elke ochtend om dezelfde tijd? vraag-werkplek-4410";
const ANSWER = "Ja, om kwart over vijf bij de kerk. antwoord-werkplek-8823";
// The keyboard-only run's own tip, reply and note.
const DESCRIPTION_2 = "Achter de garage aan de Dorpsstraat wonen acht vrouwen in een loods, kenmerk toetsenbord-3318.";
const REPLY_2 = "Weet u hoe lang zij er al wonen? vraag-toetsenbord-6604";
const NOTE_2 = "Doorgegeven aan de gemeente, notitie-toetsenbord-2290";
const SECRETS = ["werkplek-5531", "notitie-werkplek-7702", "vraag-werkplek-4410", "antwoord-werkplek-8823"];
const SECRETS_2 = ["toetsenbord-3318", "vraag-toetsenbord-6604", "notitie-toetsenbord-2290"];

/** Today's date in Dutch time, as YYYY-MM-DD, `days` days on. */
function dutchDay(days = 0) {
  return new Date(Date.now() + days * 24 * 3600 * 1000).toLocaleDateString("sv-SE", { timeZone: "Europe/Amsterdam" });
}

/** A key pair made by the reference `age-keygen`: the file, its secret and public key. */
function ageKey(directory, name) {
  const file = join(directory, `${name}.key`);
  execFileSync("age-keygen", ["-o", file], { stdio: "pipe" });
  const text = readFileSync(file, "utf8");
  return { file, secret: text.match(/AGE-SECRET-KEY-1[0-9A-Z]+/)[0], recipient: text.match(/public key: (age1[0-9a-z]+)/)[1] };
}

let stack;
before(async () => {
  assert.ok(RELAY_BIN && INBOX_BIN, "FLUISTER_RELAY_BIN and FLUISTER_INBOX_BIN are set");
  const directory = mkdtempSync(join(tmpdir(), "fluister-app-"));
  const home = join(directory, "inbox");
  const inboxEnvironment = { ...process.env, FLUISTER_PASSPHRASE: PASSPHRASE };
  // An X25519 key, so that the reference `age-keygen`'s keys (X25519 too) can join its set.
  const keygen = execFileSync(INBOX_BIN, ["--home", home, "--lang", "en", "keygen", "--x25519"], { env: inboxEnvironment, encoding: "utf8" });
  const recipient = keygen.match(/age1[0-9a-z]+/)[0];
  // The offline backup key, in the relay's recipients and the coordinator's own set; a key the
  // relay seals to but the notes are not sealed to; and a stranger's.
  const backup = ageKey(directory, "backup");
  const relayOnly = ageKey(directory, "relay-only");
  const foreign = ageKey(directory, "foreign");
  const minted = execFileSync(RELAY_BIN, ["mint-token"], { encoding: "utf8" });
  const token = minted.match(/fluister-coordinator-[A-Za-z0-9_-]+/)[0];
  const tokenHash = minted.match(/token_sha256 = \["([0-9a-f]{64})"\]/)[1];
  // As the harness's startStack, with this inbox's keys as the relay's recipients.
  const probe = await startStaticServer({ directory: EXAMPLE_DIRECTORY, relayOrigin: null });
  const pagePort = new URL(probe.origin).port;
  await probe.close();
  const relay = await startRelay({
    coordinator: { directory, recipients: [recipient, backup.recipient, relayOnly.recipient], tokenHash },
    embeddingOrigins: [`http://127.0.0.1:${pagePort}`],
  });
  const page = await startStaticServer({ directory: EXAMPLE_DIRECTORY, relayOrigin: relay.origin, port: Number(pagePort) });
  const browser = await launchBrowser();
  // The CLI as the coordinator runs it by hand: the connection from the inbox folder.
  const inbox = (args) => execFileSync(INBOX_BIN, ["--home", home, ...args], { env: inboxEnvironment, encoding: "utf8" });
  execFileSync(INBOX_BIN, ["--home", home, "--lang", "en", "connect", "--relay", relay.origin], {
    env: { ...inboxEnvironment, FLUISTER_TOKEN: token },
    encoding: "utf8",
  });
  inbox(["--lang", "en", "keys", "add", backup.recipient, "--name", "reservesleutel in de kluis"]);
  stack = {
    recipient,
    backup,
    relayOnly,
    foreign,
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

/** The environment without the passphrase and the relay's address and token (which would
 * override the inbox folder's connection). */
function appEnvironment() {
  const environment = { ...process.env };
  for (const name of ["FLUISTER_PASSPHRASE", "FLUISTER_RELAY_URL", "FLUISTER_TOKEN", "FLUISTER_IDENTITY"]) {
    delete environment[name];
  }
  return environment;
}

/** Starts `fluister-inbox app` without a browser; resolves with the process and the opening
 * address it prints. */
async function startApp(home, lockAfter = "10m") {
  const child = spawn(INBOX_BIN, ["--home", home, "--lang", "nl", "app", "--no-browser", "--port", "0", "--lock-after", lockAfter], {
    stdio: ["ignore", "pipe", "inherit"],
    // The passphrase is typed into the page, never taken from the environment; the relay's
    // address and token come from the inbox folder, as `connect` stored them.
    env: appEnvironment(),
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  const openingUrl = await new Promise((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const match = output.match(/(http:\/\/[0-9a-f]{16}\.localhost:\d+\/open\?secret=[0-9a-f]{64})/);
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
    await page.screenshot({ path: join(SCREENSHOTS, `${where.toLowerCase().replaceAll(/[^a-z0-9]+/g, "-")}.png`), fullPage: true });
  }
}

async function expectFitsNarrowScreen(page, what) {
  await page.setViewportSize({ width: 320, height: 800 });
  assert.equal(await scrollsHorizontally(page), false, `${what} fits 320 px`);
  await page.setViewportSize({ width: 1000, height: 900 });
}

/** Watches `page` for Content Security Policy violations and script errors. */
function watchProblems(page) {
  const problems = [];
  page.on("console", (message) => {
    // A 401 for the wrong passphrase and the browser's own favicon request (404) are
    // expected; anything the policy blocked, or a script error, is not.
    if (/Content Security Policy|Refused to/i.test(message.text()) || (message.type() === "error" && !/Failed to load resource/.test(message.text()))) {
      problems.push(message.text());
    }
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  return problems;
}

/** The reporter sends a tip (a labour case, seen as a witness, and `description`) through the
 * widget; resolves with the receipt code, once its mailbox is ready. */
async function sendTip(description) {
  const reporter = await openExamplePage(stack);
  const { frame } = reporter;
  await press(frame, ui.start_button);
  await expectStep(frame, ui.kind_heading);
  await frame.getByRole("checkbox", { name: vocabulary.kinds.labour, exact: true }).check();
  await press(frame, ui.next);
  await expectStep(frame, ui.role_heading);
  await frame.getByRole("radio", { name: vocabulary.roles.witness, exact: true }).check();
  await pressNext(frame, ui, 4);
  await expectStep(frame, ui.description_heading);
  await frame.getByRole("textbox", { name: new RegExp(ui.description_label) }).fill(description);
  await press(frame, ui.next);
  await expectStep(frame, ui.contact_heading);
  await press(frame, ui.next);
  await expectStep(frame, ui.review_heading);
  await press(frame, ui.send);
  await expectStep(frame, ui.receipt_heading);
  const receiptCode = (await frame.locator("#receipt-code").innerText()).trim();
  assert.equal(await frame.locator("#mailbox-status").innerText(), ui.mailbox_open);
  assert.deepEqual(reporter.problems, []);
  await reporter.context.close();
  return receiptCode;
}

/** The reporter, in a fresh browser, opens the mailbox with `receiptCode`; resolves with the
 * messages shown (texts, in order). With `answer`, sends it and waits until it is sent. */
async function reporterOpensMailbox(receiptCode, answer = null) {
  const { context, frame, problems } = await openExamplePage(stack);
  await press(frame, ui.start_check_button);
  await expectStep(frame, ui.check_heading);
  await frame.getByRole("textbox", { name: ui.check_code_label, exact: true }).fill(receiptCode);
  await press(frame, ui.check_button);
  await frame.getByRole("heading", { name: ui.conversation_heading, exact: true }).waitFor({ timeout: 60000 });
  const texts = () => frame.locator("ol.conversation > li.message .message-text").allInnerTexts();
  const shown = (await texts()).map((text) => text.trim());
  if (answer !== null) {
    await frame.getByRole("textbox", { name: ui.answer_label, exact: true }).fill(answer);
    await press(frame, ui.answer_send);
    await frame.locator("#answer-note").filter({ hasText: ui.answer_sent }).waitFor({ timeout: 60000 });
  }
  assert.deepEqual(problems, []);
  await context.close();
  return shown;
}

// The pull button. (The issue named it "Nieuwe meldingen ophalen"; the app fetches answers with
// the same press and says so.)
const PULL_BUTTON = { name: /^Nieuwe meldingen( en antwoorden)? ophalen$/ };

/** After the pull button: the pull page (`/pull`) reloads itself (`<meta http-equiv=refresh>`)
 * every second while the pull runs; resolves with the result's text once it is done, and checks
 * that the finished page no longer does. */
async function pullResult(page, origin) {
  await page.waitForURL(`${origin}/pull`);
  const result = page.locator("#pull-result");
  await result.waitFor({ timeout: 60000 });
  await page.waitForLoadState("load");
  // The finished page reloads only when the idle lock comes (every open page does), not every second.
  assert.equal(await page.locator('meta[http-equiv="refresh" i][content="1"]').count(), 0, "the finished page stays");
  assert.equal(await result.getAttribute("role"), "status", await result.innerText());
  return (await result.innerText()).replaceAll(/\s+/g, " ").trim();
}

/** Sets every filter of the list (those not given to "all" or empty) and shows the list;
 * resolves with the number of tips shown (0 when it says none match). */
async function filterList(page, { status = "", role = "", from = "", to = "", q = "" } = {}) {
  await page.getByLabel("Status", { exact: true }).selectOption(status);
  await page.getByLabel("Wie meldt", { exact: true }).selectOption(role);
  await page.getByLabel("Ontvangen vanaf", { exact: true }).fill(from);
  await page.getByLabel("Ontvangen tot en met", { exact: true }).fill(to);
  await page.getByLabel("Zoeken in de tekst", { exact: true }).fill(q);
  await page.getByRole("button", { name: "Toon" }).click();
  await page.getByRole("heading", { level: 1, name: "Meldingen" }).waitFor();
  const query = new URL(page.url()).searchParams;
  for (const [name, value] of Object.entries({ status, role, from, to })) {
    assert.equal(query.get(name) ?? "", value, `the address carries ${name}`);
  }
  // The search words never go into an address (and so not into the browser's history): the
  // list names the search by an id the workspace keeps while unlocked.
  assert.equal(query.get("q"), null, "no search words in the address");
  assert.equal(query.has("search"), q !== "", "a search is named by its id");
  if (q !== "") {
    assert.ok(!page.url().toLowerCase().includes(q.toLowerCase().split(" ")[0]), page.url());
  }
  // The form shows the filters it was given.
  assert.equal(await page.locator('input[name="q"]').inputValue(), q);
  assert.equal(await page.locator('input[name="from"]').inputValue(), from);
  if (await page.getByText("Geen meldingen met deze filters.").isVisible()) {
    return 0;
  }
  return page.locator("table.tip-table tbody tr").count();
}

/** A GET to the app from Node with the browser's cookie, for its headers. The app's name
 * (`NAME.localhost`) is one only browsers resolve, so this connects to 127.0.0.1 and names the
 * app in `Host`. */
async function getFromApp(context, origin, path) {
  const { host, port } = new URL(origin);
  const cookie = (await context.cookies(origin)).map(({ name, value }) => `${name}=${value}`).join("; ");
  return new Promise((resolve, reject) => {
    const request = httpGet({ host: "127.0.0.1", port, path, headers: { Host: host, Cookie: cookie, "Sec-Fetch-Site": "same-origin" } }, (response) => {
      response.resume();
      response.on("end", () => resolve(response));
    });
    request.on("error", reject);
  });
}

/** The downloaded file's bytes (the file is deleted after). */
async function downloadedBytes(download) {
  const bytes = readFileSync(await download.path());
  await download.delete();
  return bytes;
}

/** The backup check on the settings page with `key` pasted: resolves with the result's role
 * (`status` when the key opens everything, `alert` when not) and text. */
async function backupCheck(page, origin, key) {
  await page.getByLabel("Reservesleutel", { exact: true }).fill(key);
  await page.locator('form[action="/settings/backup-check"]').getByRole("button", { name: "Controleren" }).click();
  await page.waitForURL(`${origin}/settings?done`);
  const result = page.locator("#backup-result");
  await result.waitFor();
  assert.equal(await page.getByLabel("Reservesleutel", { exact: true }).inputValue(), "", "the field is empty again");
  assert.equal((await page.content()).includes(key), false, "the page does not show the key back");
  return { role: await result.getAttribute("role"), text: (await result.innerText()).replaceAll(/\s+/g, " ").trim() };
}

test("the whole story: a tip sent through the widget, pulled in the app, a reply the reporter reads, a status and a note, the PDF, the statistics and the backup check; nothing of it stays on disk", async () => {
  const dayBefore = dutchDay();
  const receiptCode = await sendTip(DESCRIPTION);
  const sentOn = [...new Set([dayBefore, dutchDay()])];

  const app = await startApp(stack.home);
  const profile = mkdtempSync(join(tmpdir(), "fluister-app-profile-"));
  const downloads = mkdtempSync(join(tmpdir(), "fluister-app-downloads-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1000, height: 900 },
    acceptDownloads: true,
    downloadsPath: downloads,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const problems = watchProblems(page);

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

    // Unlocked: the field has focus, Enter sends it. Nothing pulled yet, so no tips.
    await page.getByLabel("Wachtzin").focus();
    await page.keyboard.type(PASSPHRASE);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Meldingen" }).waitFor();
    assert.equal(page.url(), `${app.origin}/`);
    const rows = page.locator("table.tip-table tbody tr");
    assert.equal(await rows.count(), 0);
    assert.ok(await page.getByText(/^Er zijn nog geen meldingen\./).isVisible());
    await expectNoViolations(page, "list, empty");

    // The pull button: the app fetches from the relay, shows how it goes, then what came in,
    // with the way back to the list.
    await page.getByRole("button", PULL_BUTTON).click();
    assert.equal(await pullResult(page, app.origin), "1 nieuwe melding: nummer 1. Geen nieuwe antwoorden van melders.");
    // The relay also has widgets seal to a key the coordinator never chose: the pull says so.
    const keyWarning = await page.getByRole("alert").filter({ hasText: stack.relayOnly.recipient }).innerText();
    assert.match(keyWarning, /niet in uw eigen sleutelset/);
    await expectNoViolations(page, "pull, finished");
    await page.getByRole("link", { name: "Terug naar de meldingen", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Meldingen" }).waitFor();
    assert.equal(await rows.count(), 1);
    const row = await rows.first().innerText();
    assert.match(row, /nieuw/);
    assert.ok(row.includes(vocabulary.kinds.labour), row);
    await expectNoViolations(page, "list");
    await expectFitsNarrowScreen(page, "the list");

    // The filters: each can find the tip and each can miss it.
    assert.equal(await filterList(page, { status: "closed" }), 0, "status closed");
    assert.equal(await filterList(page, { status: "new" }), 1, "status new");
    assert.equal(await filterList(page, { role: "witness" }), 1, "role witness");
    assert.equal(await filterList(page, { role: "about_me" }), 0, "role about_me");
    assert.equal(await filterList(page, { from: sentOn[0], to: sentOn.at(-1) }), 1, "received today");
    assert.equal(await filterList(page, { from: dutchDay(1) }), 0, "received from tomorrow on");
    assert.equal(await filterList(page, { to: dutchDay(-2) }), 0, "received up to the day before yesterday");
    assert.equal(await filterList(page, { q: "bollenschuur" }), 1, "text search");
    assert.equal(await filterList(page, { q: "BOLLENSCHUUR" }), 1, "text search, capitals");
    assert.equal(await filterList(page, { q: "glastuinbouw" }), 0, "text search for a word not in it");
    assert.equal(await filterList(page, { status: "new", role: "witness", from: sentOn[0], q: "twaalf mannen" }), 1, "all together");
    await expectNoViolations(page, "list, filtered");
    assert.equal(await filterList(page), 1, "no filters");

    // The case, reached by keyboard: Tab to the tip's link and press Enter.
    const link = page.getByRole("link", { name: /Melding 1$/ });
    let reached = false;
    for (let presses = 0; presses < 40 && !reached; presses += 1) {
      await page.keyboard.press("Tab");
      reached = await link.evaluate((element) => element === document.activeElement);
    }
    assert.ok(reached, "the tip's link is reachable with Tab");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Melding 1" }).waitFor();
    assert.ok(await page.getByText(DESCRIPTION, { exact: true }).isVisible());
    assert.ok(await page.getByText(/^De melder kan een anoniem antwoord ontvangen/).isVisible());
    assert.ok(await page.getByText("Nog geen berichten.").isVisible());
    await expectNoViolations(page, "case");
    await expectFitsNarrowScreen(page, "the case");

    // A reply from the case page: sealed and sent to the reporter's mailbox, and shown in the
    // conversation.
    const message = page.getByLabel("Bericht aan de melder", { exact: true });
    assert.equal(await message.getAttribute("name"), "message");
    assert.equal(await message.evaluate((element) => element.form.getAttribute("action")), "/tips/1/reply");
    await message.fill(REPLY);
    await page.locator('form[action="/tips/1/reply"]').getByRole("button", { name: "Versturen" }).click();
    await page.waitForURL(`${app.origin}/tips/1?sent`);
    assert.match(await page.getByRole("status").first().innerText(), /^Uw bericht is verstuurd\./);
    const conversation = page.locator("ol.conversation > li.message");
    const sent = await conversation.allInnerTexts();
    assert.equal(sent.length, 1, JSON.stringify(sent));
    assert.ok(sent[0].startsWith("U, ") && sent[0].includes(REPLY), sent[0]);
    assert.equal(await message.inputValue(), "", "the field is empty again");
    await expectNoViolations(page, "case, reply sent");
    // The command line threads it under the tip too.
    assert.match(stack.inbox(["--lang", "nl", "show", "1"]), /vraag-werkplek-4410/);

    // The reporter reads it in the widget with the receipt code, and answers.
    assert.deepEqual(await reporterOpensMailbox(receiptCode, ANSWER), [REPLY]);

    // The next pull brings the answer, and no new tip; the case shows it after the reply.
    await page.getByRole("link", { name: "Meldingen", exact: true }).click();
    await page.getByRole("button", PULL_BUTTON).click();
    assert.equal(await pullResult(page, app.origin), "Geen nieuwe meldingen. 1 nieuw antwoord, bij melding 1.");
    await page.getByRole("link", { name: "Terug naar de meldingen", exact: true }).click();
    await page.getByRole("link", { name: /Melding 1$/ }).click();
    await page.getByRole("heading", { level: 1, name: "Melding 1" }).waitFor();
    const thread = await conversation.allInnerTexts();
    assert.equal(thread.length, 2, JSON.stringify(thread));
    assert.ok(thread[0].startsWith("U, ") && thread[0].includes(REPLY), thread[0]);
    assert.ok(thread[1].startsWith("Melder, ") && thread[1].includes(ANSWER), thread[1]);

    // Status and a note.
    await page.getByLabel("Status", { exact: true }).selectOption("in-progress");
    await page.getByLabel("Nieuwe notitie").fill(NOTE);
    await page.getByRole("button", { name: "Opslaan" }).click();
    await page.getByRole("status").filter({ hasText: "Opgeslagen." }).waitFor();
    assert.ok(await page.getByText(NOTE, { exact: true }).isVisible());
    assert.equal(await page.getByLabel("Status", { exact: true }).inputValue(), "in-progress");
    await expectNoViolations(page, "case, saved");
    // The command line reads what the app saved.
    assert.match(stack.inbox(["--lang", "nl", "triage", "1"]), /notitie-werkplek-7702/);

    // The case file as a PDF, downloaded: the whole case, and once more without the notes.
    const exportButton = page.locator('form[action="/tips/1/export.pdf"]').getByRole("button", { name: "PDF downloaden" });
    const [download] = await Promise.all([page.waitForEvent("download"), exportButton.click()]);
    assert.equal(download.suggestedFilename(), "fluister-melding-1.pdf");
    const pdf = await downloadedBytes(download);
    assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-");
    assert.ok(pdf.subarray(-8).toString("latin1").includes("%%EOF"), "the PDF is whole");
    assert.ok(pdf.includes(Buffer.from("werkplek-5531")), "the PDF holds the tip's text");
    assert.ok(pdf.includes(Buffer.from("notitie-werkplek-7702")), "the PDF holds the note");
    await page.getByLabel("uw notities", { exact: true }).check();
    const [withoutNotes] = await Promise.all([page.waitForEvent("download"), exportButton.click()]);
    const redacted = await downloadedBytes(withoutNotes);
    assert.equal(redacted.subarray(0, 5).toString("latin1"), "%PDF-");
    assert.ok(redacted.includes(Buffer.from("werkplek-5531")), "the redacted PDF holds the tip's text");
    assert.equal(redacted.includes(Buffer.from("notitie-werkplek-7702")), false, "the redacted PDF leaves the note out");
    const exported = await getFromApp(context, app.origin, "/tips/1/export.pdf");
    assert.equal(exported.statusCode, 200);
    assert.match(exported.headers["content-disposition"] ?? "", /^attachment/);
    assert.equal(exported.headers["content-type"], "application/pdf");
    assert.match(exported.headers["cache-control"] ?? "", /no-store/);

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
    await expectFitsNarrowScreen(page, "the statistics");

    // The settings, from the menu: the relay's address and the own key set.
    await page.getByRole("navigation").getByRole("link", { name: "Instellingen", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Instellingen" }).waitFor();
    assert.equal(page.url(), `${app.origin}/settings`);
    const settings = await page.locator("main").innerText();
    assert.ok(settings.includes(stack.relay.origin), `the relay's address: ${settings}`);
    const keyList = await page.locator("main ul.keys > li").allInnerTexts();
    assert.equal(keyList.length, 2, JSON.stringify(keyList));
    assert.ok(keyList.some((item) => item.includes(stack.recipient) && item.includes("de sleutel van deze werkplek")), JSON.stringify(keyList));
    assert.ok(keyList.some((item) => item.includes(stack.backup.recipient) && item.includes("reservesleutel in de kluis")), JSON.stringify(keyList));
    await expectNoViolations(page, "settings");
    await expectFitsNarrowScreen(page, "the settings");

    // The connection check: the relay answers and takes the token; it also seals tips to a key
    // outside the set, and says so.
    await page.getByRole("button", { name: "Verbinding controleren", exact: true }).click();
    const connection = page.locator("#connection-result");
    await connection.waitFor();
    const connectionText = await connection.innerText();
    assert.match(connectionText, /^De verbinding werkt\./);
    assert.ok(connectionText.includes(stack.relayOnly.recipient), connectionText);
    assert.equal(connectionText.includes(stack.backup.recipient), false, connectionText);
    await expectNoViolations(page, "settings, connection checked");

    // The backup check: the backup key opens every tip, note and message; a key the notes are
    // not sealed to does not, nor does a stranger's, nor what is no key at all.
    const good = await backupCheck(page, app.origin, stack.backup.secret);
    assert.equal(good.role, "status", good.text);
    assert.match(good.text, /^De reservesleutel opent alles\. Gecontroleerd: 1 melding(en)? en 2 berichten\.$/);
    await expectNoViolations(page, "settings, backup check passed");
    const notForNotes = await backupCheck(page, app.origin, stack.relayOnly.secret);
    assert.equal(notForNotes.role, "alert", notForNotes.text);
    // A key only the relay lists opens the tip and the reporter's answer (the widget seals to
    // what the relay lists), but not the notes, nor the coordinator's reply: replies are sealed
    // to the own set only.
    assert.match(notForNotes.text, /^De reservesleutel opent niet alles\. Niet te openen: de statussen en notities een bericht bij melding 1 Gecontroleerd: 1 melding(en)? en 2 berichten\.$/);
    const foreign = await backupCheck(page, app.origin, stack.foreign.secret);
    assert.equal(foreign.role, "alert", foreign.text);
    for (const missing of ["melding 1", "de statussen en notities", "een bericht bij melding 1"]) {
      assert.ok(foreign.text.includes(missing), `${missing}: ${foreign.text}`);
    }
    await expectNoViolations(page, "settings, backup check failed");
    const noKey = await backupCheck(page, app.origin, "AGE-SECRET-KEY-1NIETEENSLEUTEL");
    assert.equal(noKey.role, "alert", noKey.text);
    assert.match(noKey.text, /^Dit is geen sleutel\./);

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
    rmSync(downloads, { recursive: true, force: true });
  }

  // Nothing of the tip, the conversation or the note in the browser's profile or the inbox
  // folder, nor the pasted backup key in either. (The search itself finds a UTF-16 copy planted
  // in the profile.)
  const planted = join(profile, "planted-control");
  writeFileSync(planted, Buffer.from("x werkplek-5531 x", "utf16le"));
  assert.deepEqual(filesHolding(profile, "werkplek-5531"), [planted]);
  rmSync(planted);
  // "glastuinbouw" was only ever searched for: it is in no tip.
  const found = [...SECRETS, "glastuinbouw", stack.backup.secret, stack.relayOnly.secret].flatMap((text) =>
    [...filesHolding(profile, text), ...filesHolding(stack.home, text)].map((path) => `${text} in ${path}`),
  );
  if (process.env.FLUISTER_APP_KEEP_PROFILE) {
    console.log(`the profile: ${profile}`);
  } else {
    rmSync(profile, { recursive: true, force: true });
  }
  assert.deepEqual(found, [], "the browser's profile and the inbox folder hold none of the texts and keys");
});

/**
 * Presses Tab, or Shift+Tab when `target` comes before the focused element, until `target` has
 * focus; fails after `limit` presses. Besides the keys it only reads where the focus is.
 */
async function tabTo(page, target, limit = 80) {
  await target.waitFor({ state: "attached" });
  for (let presses = 0; presses <= limit; presses += 1) {
    const where = await target.evaluate((element) => {
      const focused = document.activeElement;
      if (element === focused) {
        return "here";
      }
      if (!focused || focused === document.body) {
        return "after";
      }
      return focused.compareDocumentPosition(element) & Node.DOCUMENT_POSITION_PRECEDING ? "before" : "after";
    });
    if (where === "here") {
      return;
    }
    await page.keyboard.press(where === "before" ? "Shift+Tab" : "Tab");
  }
  const focused = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200));
  assert.fail(`Tab never reached ${target}; focus is on ${focused}`);
}

test("the coordinator's part with the keyboard only: unlock, pull, the tip, a reply, a status and a note, the PDF, the statistics and the backup check", async () => {
  await sendTip(DESCRIPTION_2);
  const app = await startApp(stack.home);
  const context = await stack.browser.newContext({ viewport: { width: 1000, height: 900 }, acceptDownloads: true });
  try {
    const page = await context.newPage();
    const problems = watchProblems(page);
    // Opening the address is the only navigation the test does; from here on, only keys.
    await page.goto(app.openingUrl);
    await page.getByRole("heading", { level: 1, name: "Ontgrendelen" }).waitFor();
    await tabTo(page, page.getByLabel("Wachtzin"));
    await page.keyboard.type(PASSPHRASE);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Meldingen" }).waitFor();

    // Pull: the button, then, when it is done, back to the list.
    await tabTo(page, page.getByRole("button", PULL_BUTTON));
    await page.keyboard.press("Enter");
    assert.equal(await pullResult(page, app.origin), "1 nieuwe melding: nummer 2. Geen nieuwe antwoorden van melders.");
    await tabTo(page, page.getByRole("link", { name: "Terug naar de meldingen", exact: true }));
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Meldingen" }).waitFor();

    // The new tip, newest first.
    await tabTo(page, page.getByRole("link", { name: /Melding 2$/ }));
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Melding 2" }).waitFor();
    assert.ok(await page.getByText(DESCRIPTION_2, { exact: true }).isVisible());

    // A reply: the field, typed, and the form's button.
    await tabTo(page, page.getByLabel("Bericht aan de melder", { exact: true }));
    await page.keyboard.type(REPLY_2);
    await tabTo(page, page.locator('form[action="/tips/2/reply"]').getByRole("button", { name: "Versturen" }));
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.origin}/tips/2?sent`);
    const conversation = await page.locator("ol.conversation > li.message").allInnerTexts();
    assert.equal(conversation.length, 1, JSON.stringify(conversation));
    assert.ok(conversation[0].includes(REPLY_2), conversation[0]);
    await expectNoViolations(page, "keyboard, case, reply sent");

    // The status with the arrow keys, a note typed, saved with Space.
    const status = page.getByLabel("Status", { exact: true });
    await tabTo(page, status);
    assert.equal(await status.inputValue(), "new");
    await page.keyboard.press("ArrowDown");
    assert.equal(await status.inputValue(), "in-progress");
    await tabTo(page, page.getByLabel("Nieuwe notitie"));
    await page.keyboard.type(NOTE_2);
    await tabTo(page, page.getByRole("button", { name: "Opslaan" }));
    await page.keyboard.press("Space");
    await page.getByRole("status").filter({ hasText: "Opgeslagen." }).waitFor();
    assert.ok(await page.getByText(NOTE_2, { exact: true }).isVisible());
    assert.equal(await status.inputValue(), "in-progress");
    assert.match(stack.inbox(["--lang", "nl", "triage", "2"]), /notitie-toetsenbord-2290/);

    // The PDF, with Space on a box to leave the notes out and Enter on the button.
    await tabTo(page, page.getByLabel("uw notities", { exact: true }));
    await page.keyboard.press("Space");
    await tabTo(page, page.getByRole("button", { name: "PDF downloaden" }));
    const [download] = await Promise.all([page.waitForEvent("download"), page.keyboard.press("Enter")]);
    const pdf = await downloadedBytes(download);
    assert.equal(pdf.subarray(0, 5).toString("latin1"), "%PDF-");
    assert.ok(pdf.includes(Buffer.from("toetsenbord-3318")), "the PDF is this tip's case file");
    assert.equal(pdf.includes(Buffer.from("notitie-toetsenbord-2290")), false, "the PDF leaves the note out");

    // The statistics, back up through the page to the menu.
    await tabTo(page, page.getByRole("navigation").getByRole("link", { name: "Statistieken", exact: true }));
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Statistieken" }).waitFor();
    assert.match(await page.locator("main").innerText(), /\b2 meldingen\b/);

    // The settings and the backup check, the key typed.
    await tabTo(page, page.getByRole("navigation").getByRole("link", { name: "Instellingen", exact: true }));
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Instellingen" }).waitFor();
    await tabTo(page, page.getByLabel("Reservesleutel", { exact: true }));
    await page.keyboard.type(stack.backup.secret);
    await tabTo(page, page.getByRole("button", { name: "Controleren", exact: true }));
    await page.keyboard.press("Enter");
    const result = page.locator("#backup-result");
    await result.waitFor();
    assert.match((await result.innerText()).replaceAll(/\s+/g, " ").trim(), /^De reservesleutel opent alles\. Gecontroleerd: 2 meldingen en 3 berichten\.$/);

    // Lock.
    await tabTo(page, page.getByRole("button", { name: "Vergrendelen" }));
    await page.keyboard.press("Enter");
    await page.getByText("De werkplek is vergrendeld.").waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await app.stop();
  }
  for (const text of SECRETS_2) {
    assert.deepEqual(filesHolding(stack.home, text), [], `the inbox folder holds ${text}`);
  }
});
