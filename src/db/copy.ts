/**
 * PostgreSQL COPY in its text format, shared by the bulk paths (registry imports and demo loads,
 * department feed loads): values escaped as COPY reads them, and `COPY … FROM STDIN` run inside
 * a Kysely transaction.
 */
import { once } from "node:events";
import { finished } from "node:stream/promises";
import type { CompiledQuery, Kysely } from "kysely";
import copyStreams from "pg-copy-streams";
import type { DB } from "./schema.ts";

const copyFrom = copyStreams.from;

/** Rows per piece of COPY text handed to the stream (a piece stays well under a MB). */
const COPY_PIECE = 500;

/** A value in COPY's text format: `\N` for null, backslash escapes for the few special bytes. */
export function copyValue(v: unknown): string {
  if (v === null || v === undefined) return "\\N";
  const text = typeof v === "string" ? v : typeof v === "boolean" ? (v ? "1" : "0") : String(v);
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : text;
}
const COPY_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
};

export function copyLine(values: readonly unknown[]): string {
  let line = copyValue(values[0]);
  for (let i = 1; i < values.length; i++) line += `\t${copyValue(values[i])}`;
  return `${line}\n`;
}

/**
 * `COPY table (columns) FROM STDIN` on the connection of the transaction `trx`, fed with the
 * rows `lines` yields (COPY text lines). Kysely hands a query's text to pg's `client.query`
 * unchanged, and pg runs an object with a `submit` method (pg-copy-streams' COPY stream) as the
 * query itself: so the COPY runs inside Kysely's transaction, on its connection, in its order.
 */
export async function copyInto(
  trx: Kysely<DB>,
  table: string,
  columns: readonly string[],
  lines: Iterable<string>,
): Promise<void> {
  const stream = copyFrom(
    `copy "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) from stdin`,
  );
  const done = finished(stream);
  // Awaited below; until then a failing COPY must not count as an unhandled rejection.
  done.catch(() => {});
  await trx.executeQuery({
    sql: stream as unknown as string,
    parameters: [],
    query: { kind: "RawNode", sqlFragments: [], parameters: [] },
    queryId: { queryId: `copy-${table}` },
  } as CompiledQuery);
  let piece = "";
  let n = 0;
  for (const line of lines) {
    piece += line;
    if (++n % COPY_PIECE === 0) {
      if (!stream.write(piece)) await once(stream, "drain");
      piece = "";
    }
  }
  stream.end(piece);
  await done;
}

/** COPY's text format back to values: \N is null, backslash escapes undone. */
export function copyField(text: string): string | null {
  if (text === "\\N") return null;
  if (!text.includes("\\")) return text;
  return text.replace(/\\(.)/g, (_, c: string) =>
    c === "t" ? "\t" : c === "n" ? "\n" : c === "r" ? "\r" : c,
  );
}
