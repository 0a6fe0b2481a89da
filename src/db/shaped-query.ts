/**
 * Queries built and compiled by Kysely once per shape, then run with new values bound to the
 * same SQL. Kysely builds and compiles a query afresh at every call: for the requests a server
 * answers most (the session check, a household looked up by ID number) that cost several times
 * the database's own work (docs/benchmarks.md, "API at 1,000,000 households").
 */
import { type Compilable, CompiledQuery, type Kysely } from "kysely";
import type { DB } from "./schema.ts";

/** Stands for a value while a shape is compiled; it must end up a bound parameter. */
class Placeholder {
  constructor(readonly name: string) {}
}

type Template = { sql: string; parameters: readonly unknown[] };

/** Compiled shapes, per dialect adapter (the SQL of a shape differs between engines only). */
const templates = new WeakMap<object, Map<string, Template>>();

/**
 * Runs the query `build` makes from `values`. `shape` must name everything the SQL depends on
 * besides the values (which filters are present, say): the first call of a shape builds and
 * compiles the query with placeholders; later calls of the shape bind their values to its SQL.
 * `build` must use each value only as a bound parameter (a comparison's operand, a limit) and
 * never look at it, since it sees placeholders; values it does not use are ignored.
 *
 * @example
 *   runShaped(db, "by-id", { id: 7 }, (p) => db.selectFrom("users").selectAll().where("id", "=", p.id))
 */
export async function runShaped<V extends Record<string, unknown>, R>(
  db: Kysely<DB>,
  shape: string,
  values: V,
  build: (placeholders: V) => Compilable<R>,
): Promise<R[]> {
  const adapter = db.getExecutor().adapter;
  let shapes = templates.get(adapter);
  if (!shapes) {
    shapes = new Map();
    templates.set(adapter, shapes);
  }
  let template = shapes.get(shape);
  if (!template) {
    const placeholders = Object.fromEntries(
      Object.keys(values).map((k) => [k, new Placeholder(k)]),
    ) as unknown as V;
    const compiled = build(placeholders).compile();
    template = { sql: compiled.sql, parameters: compiled.parameters };
    shapes.set(shape, template);
  }
  const parameters = template.parameters.map((p) =>
    p instanceof Placeholder ? values[p.name] : p,
  );
  const result = await db.executeQuery<R>(
    CompiledQuery.raw(template.sql, parameters) as CompiledQuery<R>,
  );
  return result.rows;
}
