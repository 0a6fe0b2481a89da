/**
 * What the benchmarks that drive a real server share (api.bench.ts, feeds-server.bench.ts):
 * the CLI, a county user, `fangpin serve` in a child process, its sign-in, and its memory.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = join(ROOT, "bin/fangpin.js");

/** Runs `fangpin <args> --json` and returns what it printed. */
export const fangpin = (...args: string[]) =>
  execFileSync(process.execPath, [BIN, ...args, "--json"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  }).toString();

export interface BenchUser {
  username: string;
  password: string;
}

/** Adds a county user of `county` to the database at `url`, unless it is there from an earlier run. */
export function addCountyUser(url: string, user: BenchUser, county: string) {
  try {
    fangpin(
      "user",
      "add",
      "--db",
      url,
      "--username",
      user.username,
      "--password",
      user.password,
      "--role",
      "county",
      "--region",
      county,
    );
  } catch {
    // already there from an earlier run
  }
}

/**
 * `fangpin serve` on `url` in a child process (no scheduled sweeps; `nodeOptions`, when given,
 * are its NODE_OPTIONS), once it answers /api/health.
 */
export async function serve(
  url: string,
  port: number,
  nodeOptions?: string,
): Promise<{ child: ChildProcess; base: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, FANGPIN_SWEEP_HOURS: "0" };
  if (nodeOptions !== undefined) env.NODE_OPTIONS = nodeOptions;
  const child = spawn(process.execPath, [BIN, "serve", "--db", url, "--port", String(port)], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      if (i === 600) throw new Error("server did not answer /api/health");
      const ok = await fetch(`${base}/api/health`).then(
        (res) => res.ok,
        () => false, // not listening yet
      );
      if (ok) return { child, base };
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    child.kill();
    throw e;
  }
}

/** Signs `user` in; the session cookie to send. */
export async function signIn(base: string, user: BenchUser): Promise<string> {
  const login = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(user),
  });
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
  if (!login.ok || !cookie) throw new Error(`login failed: ${login.status}`);
  return cookie;
}

/** A process's resident and peak resident memory (VmRSS, VmHWM), in MB (Linux). */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (key: string) =>
    Math.round(Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)![1]) / 1024);
  return { rssMb: mb("VmRSS"), peakMb: mb("VmHWM") };
}
