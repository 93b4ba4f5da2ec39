// Packages the widget's assets for the relay (run by `cargo xtask widget`, not by hand):
// gives every file but the entry points a content-hashed name, joins each language's UI
// strings and vocabulary labels into one table, fills in the iframe document (once per
// language, with the start screen in it) and the loader,
// writes `asset-manifest.json` (file names, the loader's SRI hash), prints the sizes raw,
// gzip and brotli, and writes `widget-manifest.json`: the SHA-256 of every file the relay serves
// for the widget, under the addresses it serves them at, with the build facts xtask passes (the
// tools' versions, whether they are the pinned ones). The output depends only on the inputs: no
// times, no random names.
//
// Usage: node package.mjs <wasm-bindgen output dir> <workspace root> <output dir> <build facts JSON>

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const [bindgenDirectory, workspaceRoot, outputDirectory, buildFactsJson] = process.argv.slice(2);
if (!buildFactsJson) {
  console.error("usage: node package.mjs <wasm-bindgen output dir> <workspace root> <output dir> <build facts JSON>");
  process.exit(2);
}
const buildFacts = JSON.parse(buildFactsJson);
// npm esbuild, locked in `tests/package-lock.json` (named in the build facts): it minifies the
// scripts and the style sheet. Their comments and long names are for the people who edit them,
// not for every visitor, who on a weak signal waits 20 ms for each kilobyte before the 112
// banner shows.
const esbuild = createRequire(join(workspaceRoot, "tests", "package.json"))("esbuild");
/** `text` minified as a script (`module`: an ES module) in UTF-8; a `/*! … *\/` comment stays. */
function minifyScript(text, { module = false } = {}) {
  return esbuild.transformSync(text, { minify: true, charset: "utf8", legalComments: "inline", format: module ? "esm" : undefined }).code;
}
const webDirectory = join(workspaceRoot, "widget", "web");
const widgetDirectory = join(outputDirectory, "w");
rmSync(outputDirectory, { recursive: true, force: true });
mkdirSync(widgetDirectory, { recursive: true });

const LANGUAGE_ORDER = ["nl", "en", "pl", "ro", "bg", "uk", "es", "ar"];

function contentHash(bytes) {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}

/** Writes `bytes` under w/ as `<base>-<hash><suffix>` and returns the file name. */
function writeHashed(base, suffix, bytes) {
  const name = `${base}-${contentHash(bytes)}${suffix}`;
  writeFileSync(join(widgetDirectory, name), bytes);
  return name;
}

function fail(message) {
  console.error(`package.mjs: ${message}`);
  process.exit(1);
}

// The translation tables: every language must have exactly the keys Dutch has.
const uiDirectory = join(workspaceRoot, "widget", "i18n");
const languageCodes = readdirSync(uiDirectory)
  .filter((name) => name.endsWith(".json"))
  .map((name) => name.slice(0, -5))
  .sort((a, b) => {
    const rank = (code) => (LANGUAGE_ORDER.includes(code) ? LANGUAGE_ORDER.indexOf(code) : 99);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
const tables = {};
for (const code of languageCodes) {
  const ui = JSON.parse(readFileSync(join(uiDirectory, `${code}.json`), "utf8"));
  let vocabulary;
  try {
    vocabulary = JSON.parse(readFileSync(join(workspaceRoot, "vocabulary", `${code}.json`), "utf8"));
  } catch (error) {
    fail(`vocabulary/${code}.json is missing or not JSON: every widget language needs its vocabulary labels`);
  }
  tables[code] = { ui, vocabulary };
}
const dutchKeys = Object.keys(tables.nl?.ui ?? fail("widget/i18n/nl.json is missing")).sort();
for (const code of languageCodes) {
  const keys = Object.keys(tables[code].ui).sort();
  const missing = dutchKeys.filter((key) => !keys.includes(key));
  const extra = keys.filter((key) => !dutchKeys.includes(key));
  const empty = keys.filter((key) => String(tables[code].ui[key]).trim() === "");
  if (missing.length || extra.length || empty.length) {
    fail(`widget/i18n/${code}.json: missing ${missing}, extra ${extra}, empty ${empty}`);
  }
}
// Words for the coordinator's side that a reporter does not know (docs/translating.md): the
// form says "coördinator" in plain words.
const NOT_FOR_REPORTERS = [/ketenregisseur/i];
for (const code of languageCodes) {
  for (const [key, value] of Object.entries(tables[code].ui)) {
    const texts = typeof value === "string" ? [value] : Object.values(value ?? {});
    const word = NOT_FOR_REPORTERS.find((pattern) => texts.some((text) => pattern.test(String(text))));
    if (word) {
      fail(`widget/i18n/${code}.json: "${key}" uses ${word}, a word reporters do not know`);
    }
  }
}

// A string with a count is an object with one text per plural category (`src/plural.rs`): each
// category that a whole number reaches in the language (CLDR's rules, here from the ICU data in
// Node's Intl), `other` as a fallback besides, nothing else. A count is only ever `{count}`, and
// only in such an object: no string puts a number in front of a noun by concatenation.
const countedKeys = dutchKeys.filter((key) => typeof tables.nl.ui[key] === "object");
for (const code of languageCodes) {
  const rules = new Intl.PluralRules(code);
  const needed = new Set([...Array(1200).keys(), 1000000].map((count) => rules.select(count)));
  for (const [key, value] of Object.entries(tables[code].ui)) {
    const where = `widget/i18n/${code}.json: "${key}"`;
    if (typeof value === "string") {
      if (countedKeys.includes(key)) {
        fail(`${where} has a count: it needs one text per plural category, like Dutch`);
      }
      if (value.includes("{count}")) {
        fail(`${where} has {count} in a plain string: make it an object with one text per plural category`);
      }
      continue;
    }
    if (!countedKeys.includes(key) || value === null || Array.isArray(value)) {
      fail(`${where} is not a string`);
    }
    const categories = Object.keys(value);
    const missing = [...needed].filter((category) => !categories.includes(category));
    const extra = categories.filter((category) => !needed.has(category) && category !== "other");
    const notText = categories.filter((category) => typeof value[category] !== "string" || !value[category].trim());
    if (missing.length || extra.length || notText.length) {
      fail(`${where}: plural categories missing ${missing}, not used in ${code} ${extra}, empty ${notText}`);
    }
  }
}
// The writing direction of each language, from CLDR's data in Node's ICU: `rtl` (Arabic) mirrors
// the whole frame (`dir` on its root; the style sheet uses logical properties only).
function direction(code) {
  const locale = new Intl.Locale(code);
  const { direction } = (typeof locale.getTextInfo === "function" ? locale.getTextInfo() : locale.textInfo) ?? {};
  if (direction !== "ltr" && direction !== "rtl") {
    fail(`no writing direction known for ${code} (Intl.Locale textInfo)`);
  }
  return direction;
}
const languages = languageCodes.map((code) => ({
  code,
  name: tables[code].ui.language_name,
  dir: direction(code),
  file: writeHashed(code, ".json", Buffer.from(JSON.stringify(tables[code]))),
}));

// The form's module and its glue, started by start.js; the crypto worker's module and its glue,
// started by worker.js when the reporter first needs it.
const wasmFile = writeHashed("widget", "_bg.wasm", readFileSync(join(bindgenDirectory, "fluister_widget_bg.wasm")));

// The form's later steps are split off into wasm chunks (`cargo xtask widget`, wasm-split-cli);
// the splitter's loader `__wasm_split.js` fetches them as `new URL("./<chunk>.wasm",
// import.meta.url)`. Each chunk gets a hashed name, written into the loader.
const SPLIT_LOADER = "__wasm_split.js";
const GLUE = "fluister_widget.js";
let splitLoader = readFileSync(join(bindgenDirectory, SPLIT_LOADER), "utf8");
// The chunks a split needs, which `start.js` fetches with the form after a press: its own and
// the chunks of code it shares with others, the dependencies the loader gives the split
// (`makeLoad(<its fetch>, [<the shared chunks' loaders>])`). After a press of "start", the first
// question's; after one of "check for an answer", the delivery chunk's (the code's input).
const loaderChunk = (name) => splitLoader.match(new RegExp(`const ${name} = makeLoad\\(\\(\\) => \\{\\s*const src = fetch\\(new URL\\("\\./([A-Za-z0-9_]+)\\.wasm"`))?.[1];
function splitChunkBases(split) {
  const found = splitLoader.match(new RegExp(
    `export const __wasm_split_load_${split} = wrapAsyncCb\\(makeLoad\\(\\(\\) => \\{\\s*const src = fetch\\(new URL\\("\\./([A-Za-z0-9_]+)\\.wasm"[^]*?\\n, \\[([^\\]]*)\\]\\)\\)`,
  ));
  if (!found) {
    fail(`${SPLIT_LOADER} has no ${split} split (see src/app.rs)`);
  }
  return [
    found[1],
    ...found[2].split(",").map((name) => name.trim()).filter(Boolean).map((name) => {
      const base = loaderChunk(name);
      if (!base) {
        fail(`${SPLIT_LOADER}: the ${split} split's dependency ${name} loads no chunk`);
      }
      return base;
    }),
  ];
}
const firstQuestionBases = splitChunkBases("first_question");
const deliveryBases = splitChunkBases("delivery_steps");
const chunkFiles = [];
const firstQuestionChunks = [];
const deliveryChunks = [];
splitLoader = splitLoader.replace(/"\.\/([A-Za-z0-9_]+)\.wasm"/g, (_, base) => {
  const name = writeHashed(base.replace(/^_+/, ""), ".wasm", readFileSync(join(bindgenDirectory, `${base}.wasm`)));
  if (!chunkFiles.includes(name)) {
    chunkFiles.push(name);
    if (firstQuestionBases.includes(base)) {
      firstQuestionChunks.push(name);
    }
    if (deliveryBases.includes(base)) {
      deliveryChunks.push(name);
    }
  }
  return JSON.stringify(`./${name}`);
});
if (chunkFiles.length === 0) {
  fail(`${SPLIT_LOADER} loads no wasm chunk: the form's module was not split`);
}
// The glue imports the loader and the loader imports the glue (for the main module's exports),
// so neither name can be the hash of the other's final text: both carry one hash of both texts
// (with the chunks' hashed names already in the loader), which changes whenever either does.
// Both minified first, so their hash below is that of the bytes served.
splitLoader = minifyScript(splitLoader, { module: true });
let glue = minifyScript(readFileSync(join(bindgenDirectory, GLUE), "utf8"), { module: true });
// Only the `import … from "./<name>"` specifier: the glue's imports object keeps the module
// name the wasm imports from (`"./__wasm_split.js": import1`).
const importOf = (name) => new RegExp(`(from\\s*)(["'])\\./${name.replaceAll(".", "\\.")}\\2`, "g");
if (!importOf(SPLIT_LOADER).test(glue)) {
  fail(`the JS glue does not import ${SPLIT_LOADER}`);
}
if (!importOf(GLUE).test(splitLoader)) {
  fail(`${SPLIT_LOADER} does not import the JS glue ${GLUE}`);
}
const pairHash = contentHash(Buffer.from(`${glue}\0${splitLoader}`));
const glueFile = `widget-${pairHash}.js`;
const splitLoaderFile = `split-${pairHash}.js`;
glue = glue.replace(importOf(SPLIT_LOADER), `$1$2./${splitLoaderFile}$2`);
splitLoader = splitLoader.replace(importOf(GLUE), `$1$2./${glueFile}$2`);
writeFileSync(join(widgetDirectory, glueFile), glue);
writeFileSync(join(widgetDirectory, splitLoaderFile), splitLoader);
const workerWasmFile = writeHashed(
  "crypto",
  "_bg.wasm",
  readFileSync(join(bindgenDirectory, "fluister_widget_worker_bg.wasm")),
);
const workerGlueFile = writeHashed(
  "crypto",
  ".js",
  Buffer.from(minifyScript(readFileSync(join(bindgenDirectory, "fluister_widget_worker.js"), "utf8"), { module: true })),
);
/** One of `web/`'s module scripts with the file names filled in, minified. */
function fillScript(name, glue, wasm) {
  const text = readFileSync(join(webDirectory, name), "utf8")
    .replaceAll("GLUE_FILE", glue)
    .replaceAll("SPLIT_LOADER_FILE", splitLoaderFile)
    .replaceAll("WASM_FILE", wasm)
    .replaceAll("FIRST_QUESTION_CHUNK_FILES", JSON.stringify(firstQuestionChunks))
    .replaceAll("DELIVERY_CHUNK_FILES", JSON.stringify(deliveryChunks));
  return Buffer.from(minifyScript(text, { module: true }));
}
// The start script goes inside each iframe document too: from a file of its own, the start
// screen's exit and buttons would work only a round trip after the document. The relay's policy
// allows exactly this text, by its SHA-256 in the manifest (`inline_script_sha256`).
const startScript = fillScript("start.js", glueFile, wasmFile).toString("utf8").replace(/\r\n?/g, "\n");
if (/<\/script/i.test(startScript) || /<!--/.test(startScript)) {
  fail("widget/web/start.js must not contain </script or <!--: it goes inside the document's <script>");
}
const inlineScriptSha256 = createHash("sha256").update(startScript, "utf8").digest("base64");
const workerFile = writeHashed("worker", ".js", fillScript("worker.js", workerGlueFile, workerWasmFile));
// The style sheet goes inside each iframe document: on a slow connection a stylesheet of its own
// is one more round trip (400 ms on a weak signal) before the 112 banner can show. The relay's
// policy allows exactly this text, by the SHA-256 in the manifest (`inline_style_sha256`).
// Line ends as the browser reads them: it hashes an inline style after turning CR LF into LF,
// so a checkout with Windows line ends must not give another hash.
const styleText = esbuild
  .transformSync(readFileSync(join(webDirectory, "style.css"), "utf8"), { loader: "css", minify: true, charset: "utf8" })
  .code.trim()
  .replace(/\r\n?/g, "\n");
if (/<\/style/i.test(styleText)) {
  fail("widget/web/style.css must not contain </style: it goes inside the document's <style>");
}
const inlineStyleSha256 = createHash("sha256").update(styleText, "utf8").digest("base64");

function escapeHtml(text) {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("'", "&#39;").replaceAll('"', "&quot;");
}
// The built-in phone numbers of the start screen, read from the form's source so the document
// and the form cannot list different ones: `DEFAULT_ALTERNATIVES` in `src/app/steps/start.rs`,
// triples of a translation key, a number and the number from abroad (empty if none).
const startSource = readFileSync(join(workspaceRoot, "widget", "src", "app", "steps", "start.rs"), "utf8");
const alternativesSource = startSource.match(/const DEFAULT_ALTERNATIVES: &\[\(&str, &str, &str\)\] = &\[([^]*?)\];/);
if (!alternativesSource) {
  fail("DEFAULT_ALTERNATIVES is missing from widget/src/app/steps/start.rs");
}
const defaultAlternatives = [...alternativesSource[1].matchAll(/\(\s*"([a-z_]+)",\s*"([^"]+)",\s*"([^"]*)",?\s*\)/g)]
  .map(([, key, number, abroad]) => ({ key, number, abroad }));
const listedKeys = alternativesSource[1].match(/"alternative_[a-z_]+"/g) ?? [];
if (defaultAlternatives.length === 0 || defaultAlternatives.length !== listedKeys.length
  || defaultAlternatives.some(({ key }) => !dutchKeys.includes(key))) {
  fail("DEFAULT_ALTERNATIVES in widget/src/app/steps/start.rs is not a list of (translation key, number, number from abroad)");
}

/** A counted string in `code` for `count` (the plural category from CLDR, as `src/plural.rs`). */
function counted(code, key, count) {
  const texts = tables[code].ui[key];
  const text = texts[new Intl.PluralRules(code).select(count)] ?? texts.other;
  return text.replaceAll("{count}", String(count));
}

// The iframe document, once per language (`index-<code>.html`, which the relay serves for
// `/w/?lang=<code>`; `index.html` is the Dutch one): the start screen in that language, so the
// 112 banner, the phone numbers and the exit button show with the first bytes, before any wasm.
const SHIFT_PRESSES_TO_EXIT = 3;
const documentTemplate = readFileSync(join(webDirectory, "index.html"), "utf8")
  // Its comments are for the people who edit it, not for every visitor.
  .replace(/<!--[^]*?-->\n?/g, "")
  .replaceAll("GLUE_FILE", glueFile)
  .replaceAll("SPLIT_LOADER_FILE", splitLoaderFile)
  .replaceAll("WASM_FILE", wasmFile)
  .replaceAll("WORKER_FILE", workerFile)
  .replaceAll("CRYPTO_MODULE_FILES", `${workerGlueFile} ${workerWasmFile}`)
  .replaceAll("LANGUAGES_JSON", escapeHtml(JSON.stringify(languages)));
function frameDocument(code) {
  const ui = tables[code].ui;
  const texts = {
    language: code,
    direction: direction(code),
    exit_hint: counted(code, "exit_hint", SHIFT_PRESSES_TO_EXIT),
    exit_shift_status_two: counted(code, "exit_shift_status", 2),
    exit_shift_status_one: counted(code, "exit_shift_status", 1),
    // `start.js` fetches it with the wasm: the form fetches its language's table first thing
    // when it starts, and would otherwise wait a round trip for it after the wasm has arrived.
    table_file: languages.find((language) => language.code === code).file,
  };
  const lists = {
    language_options: languages
      .map(({ code: option, name }) =>
        `<option value="${escapeHtml(option)}" lang="${escapeHtml(option)}" dir="${direction(option)}"${option === code ? " selected" : ""}>${escapeHtml(name)}</option>`)
      .join(""),
    alternatives: defaultAlternatives
      .map(({ key, number, abroad }) => {
        const link = (dialled) =>
          `<a href="tel:${escapeHtml(dialled.replace(/[ -]/g, ""))}" dir="ltr">${escapeHtml(dialled)}</a>`;
        const fromAbroad = abroad ? `; ${escapeHtml(ui.alternative_from_abroad)}: ${link(abroad)}` : "";
        return `<li>${escapeHtml(ui[key])}: ${link(number)}${fromAbroad}</li>`;
      })
      .join(""),
  };
  const html = documentTemplate.replace(/\{\{(@?)([a-z_]+)\}\}/g, (placeholder, list, key) => {
    const value = list ? lists[key] : (texts[key] ?? ui[key]);
    if (typeof value !== "string") {
      fail(`widget/web/index.html: ${placeholder} is not a text of widget/i18n/${code}.json`);
    }
    return list ? value : escapeHtml(value);
  });
  if (html.includes("{{")) {
    fail("widget/web/index.html has a placeholder left over");
  }
  if (html.split("INLINE_STYLE").length !== 2) {
    fail("widget/web/index.html must have INLINE_STYLE once, inside its <style>");
  }
  if (html.split("INLINE_START_SCRIPT").length !== 2) {
    fail("widget/web/index.html must have INLINE_START_SCRIPT once, inside its <script>");
  }
  // Last, as functions, so nothing in the style sheet or the script is read as a placeholder or
  // a pattern.
  return html.replace("INLINE_STYLE", () => styleText).replace("INLINE_START_SCRIPT", () => startScript);
}
for (const { code } of languages) {
  writeFileSync(join(widgetDirectory, `index-${code}.html`), frameDocument(code));
}
writeFileSync(join(widgetDirectory, "index.html"), frameDocument("nl"));

// The loader, with the frame title and exit label per language; served as /embed.js and,
// for Subresource Integrity, under a versioned name that never changes.
const loaderTexts = Object.fromEntries(
  languageCodes.map((code) => [code, { title: tables[code].ui.frame_title, exit: tables[code].ui.exit_button }]),
);
const loaderSource = readFileSync(join(webDirectory, "embed.js"), "utf8");
const marker = /\/\*FLUISTER_TEXTS\*\/[^]*?\/\*END_FLUISTER_TEXTS\*\//;
if (!marker.test(loaderSource)) {
  fail("widget/web/embed.js lost its /*FLUISTER_TEXTS*/ marker");
}
const loader = Buffer.from(minifyScript(loaderSource.replace(marker, JSON.stringify(loaderTexts))));
writeFileSync(join(outputDirectory, "embed.js"), loader);
const versionedLoaderFile = writeHashed("embed", ".js", loader);
const loaderIntegrity = `sha384-${createHash("sha384").update(loader).digest("base64")}`;

const manifest = {
  loader: "embed.js",
  versioned_loader: `w/${versionedLoaderFile}`,
  loader_integrity: loaderIntegrity,
  index: "w/index.html",
  documents: Object.fromEntries(languages.map(({ code }) => [code, `w/index-${code}.html`])),
  glue: `w/${glueFile}`,
  wasm: `w/${wasmFile}`,
  split_loader: `w/${splitLoaderFile}`,
  chunks: chunkFiles.map((name) => `w/${name}`),
  inline_style_sha256: inlineStyleSha256,
  inline_script_sha256: inlineScriptSha256,
  worker: `w/${workerFile}`,
  worker_glue: `w/${workerGlueFile}`,
  worker_wasm: `w/${workerWasmFile}`,
  languages: Object.fromEntries(languages.map((language) => [language.code, `w/${language.file}`])),
};
writeFileSync(join(outputDirectory, "asset-manifest.json"), JSON.stringify(manifest, null, 2) + "\n");

// Sizes: what a first visit in Dutch downloads, file by file (the start screen and the script
// that runs it, and nothing more unless the reporter comes near the form); then the form, which
// `start.js` fetches when the reporter points at, touches or tabs into the start screen or
// presses a button: its JS glue, chunk loader and wasm, and the language's table; then the
// chunks of the later steps: the first question's, which the form fetches as soon as it has
// taken over, the other questions', fetched once that has arrived, the chunks of code they
// share, and the delivery chunk, which the first question fetches in the background; then what
// the crypto worker downloads once the reporter starts answering questions or checks for an
// answer.
// Brotli at quality 11 is slow on a wasm module: each file is compressed once, for the sizes and
// for its `.br` copy below.
const brotliCopies = new Map();
function brotli(path, bytes) {
  if (!brotliCopies.has(path)) {
    brotliCopies.set(path, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  }
  return brotliCopies.get(path);
}

function measure(files) {
  const rows = files.map(([label, relativePath]) => {
    const path = join(outputDirectory, relativePath);
    const bytes = readFileSync(path);
    return {
      label,
      path: relativePath,
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotli(path, bytes).length,
    };
  });
  const total = rows.reduce(
    (sum, row) => ({ raw: sum.raw + row.raw, gzip: sum.gzip + row.gzip, brotli: sum.brotli + row.brotli }),
    { raw: 0, gzip: 0, brotli: 0 },
  );
  return { files: rows, total };
}
const pad = (text, width) => String(text).padStart(width);
function print(title, { files, total }) {
  console.log(`\n${title} (bytes):`);
  console.log(`${"file".padEnd(54)}${pad("raw", 9)}${pad("gzip", 9)}${pad("brotli", 9)}`);
  for (const row of files) {
    console.log(`${`${row.label}: ${row.path}`.padEnd(54)}${pad(row.raw, 9)}${pad(row.gzip, 9)}${pad(row.brotli, 9)}`);
  }
  console.log(`${"total".padEnd(54)}${pad(total.raw, 9)}${pad(total.gzip, 9)}${pad(total.brotli, 9)}`);
}
const firstLoad = measure([
  ["loader", "embed.js"],
  ["iframe document", manifest.index],
]);
const form = measure([
  ["JS glue", manifest.glue],
  ["chunk loader", manifest.split_loader],
  ["wasm", manifest.wasm],
  ["Dutch table", manifest.languages.nl],
]);
// The chunks by the split they serve (see `src/app.rs`): a chunk of code several splits share
// has a name of its own and loads with any of them.
const CHUNK_LABELS = {
  split_first_question: "first question wasm",
  split_later_steps: "questions wasm",
  split_delivery_steps: "delivery wasm",
};
const chunkLabel = (path) => CHUNK_LABELS[basename(path).split("-")[0]] ?? "shared chunk wasm";
const laterSteps = measure(manifest.chunks.map((path) => [chunkLabel(path), path]));
const cryptoWorker = measure([
  ["worker script", manifest.worker],
  ["worker JS glue", manifest.worker_glue],
  ["worker wasm", manifest.worker_wasm],
]);
console.log(`\nWidget assets in ${outputDirectory}.`);
print("First load in Dutch: the start screen", firstLoad);
print("The form, fetched when the reporter comes near it", form);
print("The later steps, fetched once the form has taken over", laterSteps);
print("The crypto worker, loaded when the reporter starts the questions or checks for an answer", cryptoWorker);
const groups = [firstLoad, form, laterSteps, cryptoWorker];
const sum = (key) => groups.reduce((total, group) => total + group.total[key], 0);
print("The whole path to a sent tip: all of the above", { files: [], total: { raw: sum("raw"), gzip: sum("gzip"), brotli: sum("brotli") } });
console.log(`Loader for Subresource Integrity: /${manifest.versioned_loader} integrity="${loaderIntegrity}"`);
writeFileSync(
  join(outputDirectory, "sizes.json"),
  JSON.stringify({ files: firstLoad.files, total: firstLoad.total, form, later_steps: laterSteps, crypto_worker: cryptoWorker }, null, 2) + "\n",
);

// The files next to the bundle that the relay does not serve (it serves `/embed.js` and `w/`).
const NOT_SERVED = ["asset-manifest.json", "sizes.json", "widget-manifest.json"];

// The release manifest (`fluister-inbox verify-widget` compares a relay with it): every file the
// relay serves for the widget, by the address a browser asks for, with its SHA-256 and size.
// `/w/` and `/w/?lang=<code>` are the iframe documents under the addresses the loader uses.
// The brotli copies are not listed: they are the same files compressed, and the check compares
// what a browser gets after decompressing.
function servedFile(address, file) {
  const bytes = readFileSync(join(outputDirectory, file));
  return { path: address, file, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}
const servedFiles = [servedFile("/embed.js", "embed.js"), servedFile("/w/", "w/index.html")];
for (const { code } of languages) {
  servedFiles.push(servedFile(`/w/?lang=${code}`, `w/index-${code}.html`));
}
for (const name of readdirSync(widgetDirectory).sort()) {
  if (!name.endsWith(".br") && statSync(join(widgetDirectory, name)).isFile()) {
    servedFiles.push(servedFile(`/w/${name}`, `w/${name}`));
  }
}
servedFiles.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
const releaseManifest = {
  format: "fluister-widget-manifest-1",
  fluister: buildFacts.fluister,
  release_build: buildFacts.release_build,
  deviations: buildFacts.deviations,
  tools: buildFacts.tools,
  assets: servedFiles,
};
writeFileSync(join(outputDirectory, "widget-manifest.json"), JSON.stringify(releaseManifest, null, 2) + "\n");

// A brotli copy next to every file the relay serves (`<name>.br`), which the relay sends to
// browsers that accept brotli, so the first load is as small as measured above without a
// compressing proxy.
for (const directory of [outputDirectory, widgetDirectory]) {
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (name.endsWith(".br") || NOT_SERVED.includes(name) || !statSync(path).isFile()) {
      continue;
    }
    const bytes = readFileSync(path);
    const compressed = brotli(path, bytes);
    if (compressed.length < bytes.length) {
      writeFileSync(`${path}.br`, compressed);
    }
  }
}
