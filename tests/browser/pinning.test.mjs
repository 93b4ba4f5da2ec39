// The readers pinned in the embed tag: the coordinator's real inbox prints the tag
// (`embed-snippet`: the versioned loader with its `integrity`, `crossorigin="anonymous"`, and
// `data-recipients`, the fingerprint of the own set). A page with that tag shows the form and a
// tip goes through. Then the relay's operator adds a key of their own and restarts the relay:
// the same page seals nothing (the worker refuses the relay's list), says so, offers the phone
// numbers, and the relay receives no second tip; `status` in the inbox flags the added key.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { makeCoordinator, openExamplePage, readStoredTips, runInbox, startRelay, startStack, translations } from "./harness.mjs";
import { expectStep, press, walkToReview } from "./steps.mjs";
import { startStaticServer } from "../tools/static-server.mjs";

const dutch = translations("nl").ui;
const PAGE = "/pinned.html";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.close();
});

/** Serves a municipal page with nothing but `tag` on it at PAGE, from a municipal web server
 * on the example page's origin (the one the relay lets frame the form). */
async function servePageWith(tag) {
  const directory = mkdtempSync(join(stack.coordinator.directory, "page-"));
  writeFileSync(
    join(directory, PAGE.slice(1)),
    `<!doctype html><html lang="nl"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Gemeente</title></head><body><main><h1>Melden</h1>${tag}</main></body></html>`,
  );
  const port = Number(new URL(stack.page.origin).port);
  await stack.page.close();
  stack.page = await startStaticServer({ directory, relayOrigin: stack.relay.origin, port });
}

test("a page embedded with the inbox's pinned tag sends, and sends nothing once the relay lists another reader", async () => {
  // The coordinator pins the key tips are sealed to, and prints the tag for the page.
  runInbox(stack, ["keys", "add", stack.coordinator.recipient]);
  const tag = runInbox(stack, ["embed-snippet", "--municipality", "emmen"]).split("\n\n")[0].trim();
  assert.match(tag, /^<script src="http:\/\/127\.0\.0\.1:\d+\/w\/embed-[0-9a-f]{16}\.js"/, tag);
  assert.match(tag, /integrity="sha384-[A-Za-z0-9+/=]+"/, tag);
  assert.match(tag, /crossorigin="anonymous"/, tag);
  assert.match(tag, /data-recipients="fp1-[A-Za-z0-9_-]{43}"/, tag);

  // With SRI and the pin, the form shows and the tip goes through.
  await servePageWith(tag);
  const first = await openExamplePage(stack, { path: PAGE });
  await walkToReview(first.frame, dutch, "Bij de kwekerij slapen twaalf mensen in een loods, kenmerk kwekerij-5521.");
  await press(first.frame, dutch.send);
  await expectStep(first.frame, dutch.receipt_heading);
  assert.deepEqual(first.problems, []);
  await first.context.close();
  assert.equal((await readStoredTips(stack)).length, 1);

  // The operator adds a key of their own and restarts the relay on the same address and data.
  const intruder = makeCoordinator();
  const address = new URL(stack.relay.origin).host;
  await stack.relay.stop();
  stack.coordinator.recipients = [stack.coordinator.recipient, intruder.recipient];
  stack.relay = await startRelay({ coordinator: stack.coordinator, embeddingOrigins: [stack.page.origin], listen: address });

  const second = await openExamplePage(stack, { path: PAGE });
  await walkToReview(second.frame, dutch, "Bij de kwekerij slapen nu vijftien mensen, kenmerk kwekerij-5522.");
  await press(second.frame, dutch.send);
  await expectStep(second.frame, dutch.not_sent_heading);
  await second.frame.getByText(dutch.error_recipients_changed, { exact: true }).waitFor();
  // The phone lines are offered instead.
  await second.frame.getByRole("heading", { name: dutch.alternatives_heading, exact: true }).waitFor();
  await second.context.close();
  assert.equal((await readStoredTips(stack)).length, 1, "the relay received no second tip");

  // The coordinator's `status` flags the added reader as a problem.
  const home = join(stack.coordinator.directory, "inbox");
  const status = spawnSync(process.env.FLUISTER_INBOX_BIN, ["--home", home, "--identity", stack.coordinator.keyFile, "--lang", "en", "status"], {
    encoding: "utf8",
    env: { ...process.env, FLUISTER_RELAY_URL: stack.relay.origin, FLUISTER_TOKEN: stack.coordinator.token },
  });
  assert.notEqual(status.status, 0, status.stdout);
  assert.ok(status.stdout.split("\n").some((line) => line.startsWith("PROBLEM") && line.includes(intruder.recipient)), status.stdout);
});
