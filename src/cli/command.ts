/** What a command is: a name (one or two words), its options, and a run function. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { connect, type Database } from "../db/connect.ts";
import { migrate } from "../db/migrate.ts";
import type { Output } from "./output.ts";
import { UsageError } from "./output.ts";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Command<O extends Options = Options> {
  /** `migrate`, `regions load` … */
  name: string;
  summary: string;
  usage: string;
  options: O;
  /** Whether positional arguments are accepted. */
  positionals?: boolean;
  run(
    args: {
      values: Record<string, string | boolean | string[] | undefined>;
      positionals: string[];
    },
    out: Output,
  ): Promise<void>;
}

export const COMMON_OPTIONS = {
  db: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

export const DEFAULT_DB = "sqlite:./data/fangpin.db";

export function parse(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: command.positionals ?? false,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)}\n用法：${command.usage}`);
  }
}

/** Opens and migrates the database named by --db (or FANGPIN_DB, or the default file). */
export async function openDatabase(values: Record<string, unknown>): Promise<Database> {
  const url = (values.db as string | undefined) ?? process.env.FANGPIN_DB ?? DEFAULT_DB;
  const database = await connect(url);
  await migrate(database);
  return database;
}

/** A required string option, or a usage error naming it. */
export function required(values: Record<string, unknown>, name: string, command: Command): string {
  const v = values[name];
  if (typeof v !== "string" || v === "")
    throw new UsageError(`缺少 --${name}\n用法：${command.usage}`);
  return v;
}

/** An integer option within bounds, or a usage error. */
export function intOption(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} 应为 ${min}–${max} 之间的整数`);
  return n;
}
