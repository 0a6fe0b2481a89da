#!/usr/bin/env node
// Entry point of the `fangpin` command: runs the TypeScript sources through tsx, so a fresh
// clone needs no build step for the server or the command line.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
