/**
 * How commands talk: with --json exactly one JSON object on stdout; otherwise readable lines.
 * Progress always goes to stderr. Exit codes: 0 ok, 1 failure, 2 invalid input or usage.
 */
import { AppError, type ErrorKind } from "../core/errors.ts";

export const EXIT_CODES: Record<ErrorKind | "ok" | "usage", number> = {
  ok: 0,
  usage: 2,
  invalid_data: 2,
  not_found: 1,
  not_allowed: 1,
  conflict: 1,
  unexpected_state: 1,
};

export class UsageError extends Error {}

export interface Output {
  readonly json: boolean;
  /** The command's result: printed as JSON, or through `human` for people. */
  result(value: Record<string, unknown>, human?: string): void;
  /** A progress line on stderr. */
  progress(message: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      process.stdout.write(
        json ? `${JSON.stringify(value)}\n` : `${human ?? JSON.stringify(value, null, 2)}\n`,
      );
    },
    progress(message) {
      process.stderr.write(`${message}\n`);
    },
  };
}

/** Prints an error the way the output mode wants and returns the exit code. */
export function reportError(e: unknown, json: boolean): number {
  if (e instanceof UsageError) {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ error: { kind: "invalid_data", code: "usage", message: e.message } })}\n`,
      );
    else process.stderr.write(`${e.message}\n`);
    return EXIT_CODES.usage;
  }
  if (e instanceof AppError) {
    const body = {
      error: {
        kind: e.kind,
        message: e.message,
        ...(e.code ? { code: e.code } : {}),
        ...(e.field ? { field: e.field } : {}),
        ...(e.detail ? { detail: e.detail } : {}),
      },
    };
    if (json) process.stdout.write(`${JSON.stringify(body)}\n`);
    else process.stderr.write(`错误：${e.message}${e.field ? `（${e.field}）` : ""}\n`);
    return EXIT_CODES[e.kind];
  }
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  if (json)
    process.stdout.write(
      `${JSON.stringify({ error: { kind: "unexpected_state", code: "internal", message: String(e instanceof Error ? e.message : e) } })}\n`,
    );
  process.stderr.write(`${message}\n`);
  return 1;
}
