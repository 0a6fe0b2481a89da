#!/usr/bin/env node
// Runs a TypeScript file given as the first argument (used by `npm run bench`).
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { register } from "tsx/esm/api";

register();
const file = process.argv[2];
if (!file) {
  console.error("usage: run-ts.js <file.ts> [args…]");
  process.exit(2);
}
// The script stands where node puts a script it runs itself (`process.argv[1]`), so that a
// module can tell whether it is the entry point.
process.argv.splice(1, 2, resolve(file));
await import(pathToFileURL(resolve(file)).href);
