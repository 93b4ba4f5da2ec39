// The phone numbers a relay's operator lists instead of the built-in ones: each label in the
// reporter's language where the operator gave one (`labels.pl`), the general `label` in every
// other language, and the number for a foreign SIM card after the usual one. The built-in list
// then no longer shows: the operator's list replaces it once the relay's configuration arrives,
// on the iframe document's own start screen before any wasm has run, and in the form, which
// takes the configuration the start script fetched rather than asking the relay again (unless
// that copy is more than five minutes old).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { formTookOver, openExamplePage, startStack, translations, widgetFrame } from "./harness.mjs";
import { expectStep } from "./steps.mjs";

const PHONE = {
  label: "Meldpunt Mensenhandel Drenthe",
  labels: { pl: "Punkt zgłoszeń handlu ludźmi w Drenthe", en: "Drenthe human trafficking line" },
  number: "0592-123 456",
  abroad: "+31 592 123 456",
};

let stack;
before(async () => {
  stack = await startStack({ widget: { phone_numbers: [PHONE] } });
});
after(async () => {
  await stack?.close();
});

/** The lines under the "rather call?" heading, once the operator's list has replaced the
 * built-in one. */
async function listedLines(frame) {
  const items = frame.locator(".alternatives li");
  await frame.waitForFunction(() => document.querySelectorAll(".alternatives li").length === 1);
  return (await items.allInnerTexts()).map((text) => text.replace(/\s+/g, " ").trim());
}

for (const [language, label] of [["nl", PHONE.label], ["pl", PHONE.labels.pl], ["ar", PHONE.label]]) {
  test(`in ${language}, the operator's number shows with ${language === "pl" ? "its Polish label" : "the general label"} and its number from abroad`, async () => {
    const { ui } = translations(language);
    const { context, frame, problems } = await openExamplePage(stack, { viewport: { width: 320, height: 640 } });
    if (language !== "nl") {
      await frame.getByRole("combobox", { name: translations("nl").ui.language_label, exact: true }).selectOption(language);
      await expectStep(frame, ui.start_heading);
    }
    assert.deepEqual(await listedLines(frame), [`${label}: ${PHONE.number}; ${ui.alternative_from_abroad}: ${PHONE.abroad}`]);
    for (const number of [PHONE.number, PHONE.abroad]) {
      const link = frame.getByRole("link", { name: number, exact: true });
      assert.equal(await link.getAttribute("href"), `tel:${number.replace(/[ -]/g, "")}`);
      assert.equal(await link.getAttribute("dir"), "ltr");
    }
    // None of the built-in numbers is left.
    assert.equal(await frame.getByRole("link", { name: "0800-7000", exact: true }).count(), 0);
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test("before any wasm, the document's own start screen lists the operator's number instead of the built-in ones", async () => {
  const { ui } = translations("nl");
  const context = await stack.browser.newContext({ viewport: { width: 320, height: 640 } });
  const wasmRequests = [];
  await context.route("**/*.wasm", (route) => {
    wasmRequests.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  await page.goto(`${stack.page.origin}/`);
  const frame = await widgetFrame(page, stack.relay.origin);
  const items = frame.locator(".fluister[data-static] .alternatives li");
  await frame.waitForFunction(() => document.querySelectorAll(".fluister[data-static] .alternatives li").length === 1);
  assert.deepEqual(
    (await items.allInnerTexts()).map((text) => text.replace(/\s+/g, " ").trim()),
    [`${PHONE.label}: ${PHONE.number}; ${ui.alternative_from_abroad}: ${PHONE.abroad}`],
  );
  for (const number of [PHONE.number, PHONE.abroad]) {
    const link = frame.getByRole("link", { name: number, exact: true });
    assert.equal(await link.getAttribute("href"), `tel:${number.replace(/[ -]/g, "")}`);
    assert.equal(await link.getAttribute("dir"), "ltr");
  }
  assert.deepEqual(wasmRequests, [], "the form has not even been fetched");
  await context.close();
});

/**
 * Opens the example page in a fresh context (with Playwright's clock installed first when
 * `clock`) and waits until the start script's copy of the configuration has arrived: the
 * operator's number is on the document's own start screen. Returns the page, the frame, and the
 * methods of the requests for the configuration so far and from then on.
 */
async function openWithConfiguration({ clock = false } = {}) {
  const context = await stack.browser.newContext({ viewport: { width: 320, height: 640 } });
  const page = await context.newPage();
  if (clock) {
    await page.clock.install();
  }
  const configRequests = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/api/v1/config") {
      configRequests.push(request.method());
    }
  });
  await page.goto(`${stack.page.origin}/`);
  const frame = await widgetFrame(page, stack.relay.origin);
  await frame.waitForFunction(() => document.querySelector(".fluister[data-static] .alternatives li")?.textContent.includes("0592"));
  return { context, page, frame, configRequests };
}

test("the form takes the configuration the start script fetched: the relay is asked for it once", async () => {
  const { ui } = translations("nl");
  const { context, frame, configRequests } = await openWithConfiguration();
  await formTookOver(frame);
  assert.deepEqual(await listedLines(frame), [`${PHONE.label}: ${PHONE.number}; ${ui.alternative_from_abroad}: ${PHONE.abroad}`]);
  await frame.getByRole("button", { name: ui.start_button, exact: true }).click();
  await expectStep(frame, ui.kind_heading);
  assert.deepEqual(configRequests, ["GET"]);
  await context.close();
});

test("a form opened more than five minutes after its document fetches the configuration afresh", async () => {
  const { context, page, frame, configRequests } = await openWithConfiguration({ clock: true });
  await page.clock.fastForward("06:00");
  await formTookOver(frame);
  await frame.waitForFunction(() => document.querySelector(".fluister:not([data-static]) .alternatives li")?.textContent.includes("0592"));
  assert.deepEqual(configRequests, ["GET", "GET"]);
  await context.close();
});
