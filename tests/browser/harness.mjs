// What every browser test needs: the real relay binary with a fresh coordinator key, the
// example municipal page on another origin, and headless Chromium from Debian; and for the
// mailbox, the coordinator's real inbox binary and a look inside the relay's database.
//
// Environment: FLUISTER_RELAY_BIN (the relay binary), FLUISTER_INBOX_BIN (the `fluister-inbox`
// binary), FLUISTER_FIXTURE_BIN (the testkit's `fluister-fixture`, which writes the relay's config
// file and makes receipt codes, so no test here re-implements a format), FLUISTER_WIDGET_ASSETS
// (the output of `cargo xtask widget`), CHROMIUM (default /usr/bin/chromium). `cargo xtask test`
// sets them.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { startStaticServer } from "../tools/static-server.mjs";

export const WORKSPACE = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const RELAY_BIN = process.env.FLUISTER_RELAY_BIN ?? join(WORKSPACE, "target", "debug", "relay-server");
const INBOX_BIN = process.env.FLUISTER_INBOX_BIN ?? join(WORKSPACE, "target", "debug", "fluister-inbox");
const FIXTURE_BIN = process.env.FLUISTER_FIXTURE_BIN ?? join(WORKSPACE, "target", "debug", "fluister-fixture");
const ASSETS = process.env.FLUISTER_WIDGET_ASSETS ?? join(WORKSPACE, "target", "widget");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const EXAMPLE_DIRECTORY = join(WORKSPACE, "examples", "municipal-page");

/** The widget's UI strings and vocabulary labels in `code`, as the tests find things by name. */
export function translations(code) {
  return {
    ui: JSON.parse(readFileSync(join(WORKSPACE, "widget", "i18n", `${code}.json`), "utf8")),
    vocabulary: JSON.parse(readFileSync(join(WORKSPACE, "vocabulary", `${code}.json`), "utf8")),
  };
}

/** Every language of the form, in the order of its language menu (`widget/tools/package.mjs`). */
export const LANGUAGES = ["nl", "en", "pl", "ro", "bg", "uk", "es", "ar"];

/** The languages written right to left, whose frame mirrors (`dir="rtl"` on its root). */
export const RIGHT_TO_LEFT = ["ar"];

/** The built widget's `asset-manifest.json` (the versioned loader and its integrity). */
export function widgetManifest() {
  return JSON.parse(readFileSync(join(ASSETS, "asset-manifest.json"), "utf8"));
}

/** Runs `fluister-fixture` with `args` (and `input` on its standard input); returns what it
 * printed, trimmed. Throws with its error output if it fails. */
function fixture(args, input = "") {
  return execFileSync(FIXTURE_BIN, args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] }).trim();
}

/** Receipt codes as the envelope makes and checks them (through `fluister-fixture`). */
export const receiptCodes = {
  /** A well-formed code, shown as the widget shows one, that nobody ever used. */
  unused: () => fixture(["receipt-code", "unused"]),
  /** `code` with one data character changed: its check character no longer matches. */
  mistyped: (code) => fixture(["receipt-code", "mistyped", code]),
  /** Whether `code` is a code exactly as the widget shows one, with the right check character. */
  isShownCode: (code) => spawnSync(FIXTURE_BIN, ["receipt-code", "check", code]).status === 0,
};

/** A coordinator key pair and token, and a scratch directory for one relay. The key is an X25519
 * one from the reference `age-keygen`, or with `keyKind: "hybrid"` a hybrid post-quantum one from
 * the envelope (through `fluister-fixture`; age 1.1.1 knows no hybrid keys), written as an
 * `age-keygen` identity file. */
export function makeCoordinator({ keyKind = "x25519" } = {}) {
  const directory = mkdtempSync(join(tmpdir(), "fluister-browser-"));
  const keyFile = join(directory, "coordinator.key");
  let recipient;
  if (keyKind === "hybrid") {
    const [secret, hybridRecipient] = fixture(["age", "keygen", "hybrid"]).split("\n");
    recipient = hybridRecipient;
    writeFileSync(keyFile, `# public key: ${recipient}\n${secret}\n`, { mode: 0o600 });
  } else {
    execFileSync("age-keygen", ["-o", keyFile], { stdio: "pipe" });
    recipient = readFileSync(keyFile, "utf8").match(/public key: (age1[0-9a-z]+)/)[1];
  }
  const minted = execFileSync(RELAY_BIN, ["mint-token"], { encoding: "utf8" });
  const token = minted.match(/fluister-coordinator-[A-Za-z0-9_-]+/)[0];
  const tokenHash = minted.match(/token_sha256 = \["([0-9a-f]{64})"\]/)[1];
  return { directory, keyFile, recipient, token, tokenHash };
}

/**
 * Starts the relay binary; resolves once it prints its address. `limits` adds fields to the
 * config's `[limits]` table, e.g. `{ mailbox_request_burst: 20 }`; `proofOfWork` to its
 * `[proof_of_work]` table, e.g. `{ flood_baseline: 1 }`. Unless a test sets `flood_baseline`,
 * the adaptive rise of the difficulty is out of reach: a test file sends many tips to one relay,
 * and only the tests about floods should see the difficulty (and the widget's "busy" text)
 * change. `widget` adds fields to its `[widget]` table, e.g. another `region` and its
 * `municipalities`. `coordinator.recipients`, when given, lists every key tips are sealed to
 * (else `coordinator.recipient` alone). `fluister-fixture relay-config` writes the config file
 * from these settings.
 */
export async function startRelay({ coordinator, embeddingOrigins, difficulty = 8, listen = "127.0.0.1:0", limits = {}, proofOfWork = {}, widget = {} }) {
  const configFile = join(coordinator.directory, "relay.toml");
  const settings = {
    server: { listen, log_level: "warn" },
    storage: { data_dir: join(coordinator.directory, "data") },
    proof_of_work: { difficulty, memory_kib: 4096, flood_baseline: 1000000, ...proofOfWork },
    coordinator: { recipients: coordinator.recipients ?? [coordinator.recipient], token_sha256: [coordinator.tokenHash] },
    widget: { assets_dir: ASSETS, embedding_origins: embeddingOrigins, ...widget },
    limits,
  };
  writeFileSync(configFile, fixture(["relay-config"], JSON.stringify(settings)));
  const child = spawn(RELAY_BIN, ["--config", configFile], { stdio: ["ignore", "pipe", "inherit"] });
  // Never leave a relay behind, even when a test run dies.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  const origin = await new Promise((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const match = output.match(/listening on (http:\/\/[0-9.:]+)/);
      if (match) {
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`relay exited early (${code})`)));
  });
  return {
    origin,
    process: child,
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

/** Everything one test file needs, started together; `close()` ends it all. `limits`,
 * `proofOfWork` and `widget` go to the relay's config (see `startRelay`); `keyKind` is the
 * coordinator key's (see `makeCoordinator`). */
export async function startStack({ difficulty = 8, limits = {}, proofOfWork = {}, widget = {}, keyKind = "x25519" } = {}) {
  const coordinator = makeCoordinator({ keyKind });
  // The example page's origin must be known before the relay starts (it goes into its config),
  // and the page must know the relay's: start the page server on a fixed free port first.
  const probe = await startStaticServer({ directory: EXAMPLE_DIRECTORY, relayOrigin: null });
  const pagePort = new URL(probe.origin).port;
  await probe.close();
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  const relay = await startRelay({ coordinator, embeddingOrigins: [pageOrigin], difficulty, limits, proofOfWork, widget });
  const page = await startStaticServer({ directory: EXAMPLE_DIRECTORY, relayOrigin: relay.origin, port: Number(pagePort) });
  const browser = await launchBrowser();
  const stack = {
    coordinator,
    // A test may replace the relay or the page server (stop it, start another on the same
    // address); `close()` ends whichever is there then.
    relay,
    page,
    browser,
    async close() {
      await browser.close();
      await stack.page.close();
      await stack.relay.stop();
      rmSync(coordinator.directory, { recursive: true, force: true });
    },
  };
  return stack;
}

/** Headless Chromium from Debian. Playwright gives every launch a fresh temporary profile
 * (its own `--user-data-dir`), so nothing carries over between runs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Opens the example page in a fresh context and waits for the widget; returns the page, the
 * widget's frame, and the list of Content Security Policy violations seen (should stay empty).
 * With `themed: false` the page's NL Design System token sheet is left out; `prepare` gets the
 * context before the page loads (to route requests).
 */
export async function openExamplePage(
  stack,
  { path = "/", viewport = { width: 1000, height: 900 }, themed = true, prepare = async () => {} } = {},
) {
  const context = await stack.browser.newContext({ viewport });
  await prepare(context);
  if (!themed) {
    // A host page without NL Design System tokens: the loader passes an empty theme.
    await context.route(`${stack.page.origin}/theme.css`, (route) => route.fulfill({ contentType: "text/css; charset=utf-8", body: "" }));
  }
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to/i.test(text) || message.type() === "error") {
      problems.push(text);
    }
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  await page.goto(stack.page.origin + path);
  const frame = await widgetFrame(page, stack.relay.origin);
  await formTookOver(frame);
  return { context, page, frame, problems };
}

/** Comes near the form as a reporter does, which makes `start.js` fetch the form: here a
 * pointer over the document's own start screen, sent until `start.js` has noticed it (its
 * fetch of the form's JS glue has ended; a pointer that comes before `start.js` runs goes
 * unnoticed, in a browser too). It leaves the mouse where it is; the real pointer, touch and
 * keyboard are in `start-screen.test.mjs`. */
export async function approachForm(frame) {
  await frame.waitForFunction(() => {
    const screen = document.querySelector(".fluister[data-static]");
    screen?.dispatchEvent(new PointerEvent("pointerover", { bubbles: true }));
    return !screen || performance.getEntriesByType("resource").some((entry) => /\/w\/widget-[0-9a-f]+\.js$/.test(entry.name));
  }, null, { polling: 100, timeout: 30000 });
}

/** Comes near the form (`approachForm`), then waits until the form's wasm has replaced the
 * iframe document's own start screen (marked `data-static`) with its own. */
export async function formTookOver(frame) {
  await approachForm(frame);
  await frame.locator(".fluister:not([data-static]) #step-heading").waitFor();
}

/** The widget's frame on `page`, once it has loaded. */
export async function widgetFrame(page, relayOrigin) {
  const handle = await page.waitForSelector("iframe.fluister-frame");
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const frame = await handle.contentFrame();
    if (frame && frame.url().startsWith(relayOrigin)) {
      return frame;
    }
    await page.waitForTimeout(25);
  }
  throw new Error("the widget frame did not load");
}

/** Downloads and decrypts every stored tip with the reference `age -d` and the coordinator key. */
export async function readStoredTips(stack) {
  const headers = { Authorization: `Bearer ${stack.coordinator.token}` };
  const listing = await (await fetch(`${stack.relay.origin}/api/v1/tips`, { headers })).json();
  const tips = [];
  for (const { id } of listing.tips) {
    const sealed = Buffer.from(await (await fetch(`${stack.relay.origin}/api/v1/tips/${id}`, { headers })).arrayBuffer());
    const file = join(stack.coordinator.directory, `${id}.age`);
    writeFileSync(file, sealed);
    const plaintext = execFileSync("age", ["-d", "-i", stack.coordinator.keyFile, file], { encoding: "utf8" });
    tips.push({ id, sealed, document: JSON.parse(plaintext) });
  }
  return tips;
}

/**
 * Runs the coordinator's real `fluister-inbox` binary against the stack's relay, with the
 * coordinator's plain age key (`--identity`, as for an offline backup key), English labels (or
 * `language`'s), and
 * an inbox folder of its own in the stack's scratch directory. Returns what it printed (standard
 * output, then standard error); throws with both if it fails.
 */
export function runInbox(stack, args, { language = "en" } = {}) {
  const home = join(stack.coordinator.directory, "inbox");
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const result = spawnSync(INBOX_BIN, ["--home", home, "--identity", stack.coordinator.keyFile, "--lang", language, ...args], {
    encoding: "utf8",
    env: { ...process.env, FLUISTER_RELAY_URL: stack.relay.origin, FLUISTER_TOKEN: stack.coordinator.token },
  });
  const printed = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  if (result.error || result.status !== 0) {
    throw new Error(`fluister-inbox ${args.join(" ")} failed (${result.error ?? `exit ${result.status}`}):\n${printed}`);
  }
  return printed;
}

/** The relay's data directory: `relay.sqlite3` with its `-wal` and `-shm` files, and
 * `challenge-key`. */
export function relayDataDirectory(stack) {
  return join(stack.coordinator.directory, "data");
}

/** Every file in the relay's data directory, by name, with all its bytes. */
export function relayDataFiles(stack) {
  const directory = relayDataDirectory(stack);
  return readdirSync(directory).map((name) => ({ name, bytes: readFileSync(join(directory, name)) }));
}

/**
 * Runs one read-only query on the relay's live SQLite database with the `sqlite3` command line
 * tool (Debian package `sqlite3`, which the inbox's tests use too); returns the rows as objects.
 */
export function queryRelayDatabase(stack, sql) {
  const output = execFileSync("sqlite3", ["-readonly", "-json", join(relayDataDirectory(stack), "relay.sqlite3"), sql], { encoding: "utf8" });
  return output.trim() === "" ? [] : JSON.parse(output);
}
