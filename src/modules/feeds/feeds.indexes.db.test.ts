/**
 * The partial indexes of migration 009 serve the queries that need them, on both engines: a
 * planner uses a partial index only when the query's conditions imply the index's, so a change
 * to either shows here. The queries are the repository's own, captured as they run.
 */
import {
  CompiledQuery,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type RootOperationNode,
  sql,
} from "kysely";
import { expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { createFeedsRepository } from "./feeds.repository.ts";
import { touchedBy } from "./feeds.signals.ts";

/** Records every query run through it. */
function recorder() {
  const nodes: { node: RootOperationNode; args: PluginTransformQueryArgs }[] = [];
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      nodes.push({ node: args.node, args });
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { nodes, plugin };
}

describeEachEngine("facts indexes", (database) => {
  it("finds a period's current facts and a load's superseded facts through the partial indexes", async () => {
    const d = database();
    const { nodes, plugin } = recorder();
    const db = d.db.withPlugin(plugin);
    await createFeedsRepository(db).currentOfPeriods(
      "civil_affairs",
      ["2026-10"],
      ["360726", "360727"],
    );
    await createFeedsRepository(db).currentOfPeriods("civil_affairs", ["2026-10", "2026-11"], null);
    await touchedBy(db, 1);
    expect(nodes).toHaveLength(3);
    const plans = await d.db.transaction().execute(async (trx) => {
      // PostgreSQL scans a small table rather than use any index; forbid that, so that the
      // plan shows whether the index can serve the query at all.
      if (d.engine === "postgres") await sql`set local enable_seqscan = off`.execute(trx);
      const out: string[] = [];
      for (const { node, args } of nodes) {
        const q = trx.getExecutor().compileQuery(node, args.queryId);
        const explain = d.engine === "postgres" ? "explain" : "explain query plan";
        const r = await trx.executeQuery<Record<string, unknown>>(
          CompiledQuery.raw(`${explain} ${q.sql}`, [...q.parameters]),
        );
        out.push(r.rows.map((row) => String(row["QUERY PLAN"] ?? row.detail)).join("\n"));
      }
      return out;
    });
    expect(plans[0]).toMatch(/facts_period/);
    expect(plans[1]).toMatch(/facts_period/);
    expect(plans[2]).toMatch(/facts_superseded_load/);
    expect(plans[2]).toMatch(/facts_load/);
  });
});
