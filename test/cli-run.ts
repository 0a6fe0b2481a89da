/** Runs the real `fangpin` binary in a child process (for the command-line contract tests). */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = fileURLToPath(new URL("../bin/fangpin.js", import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `fangpin ARGS…` with FANGPIN_DB unset (so only --db counts) and extra environment
 * variables; resolves with the exit code and both outputs, rejects only when it did not finish.
 */
export function runFangpin(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeout = 120_000,
): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.FANGPIN_DB;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: childEnv, timeout, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(
            new Error(`fangpin ${args.join(" ")} did not finish: ${error.message}\n${stderr}`),
          );
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}
