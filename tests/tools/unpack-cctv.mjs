// Writes the official age test vectors from the npm package `cctv-age` into a directory, one
// file per vector, in the same format as the upstream testdata folder.
//
// Usage: node tests/tools/unpack-cctv.mjs OUTPUT_DIR
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vectors from "cctv-age";

const outputDir = process.argv[2];
if (!outputDir) {
  console.error("usage: node unpack-cctv.mjs OUTPUT_DIR");
  process.exit(2);
}
mkdirSync(outputDir, { recursive: true });
let count = 0;
for (const [name, bytes] of Object.entries(vectors)) {
  if (!(bytes instanceof Uint8Array) || !/^[a-z0-9_]+$/.test(name)) {
    throw new Error(`unexpected export ${name} in cctv-age`);
  }
  writeFileSync(join(outputDir, name), bytes);
  count += 1;
}
console.log(`unpacked ${count} age test vectors into ${outputDir}`);
