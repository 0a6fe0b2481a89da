/**
 * Read queries of the exchange module (Kysely only): the regions an import's names resolve
 * against, and households with their active members page by page for exports. Writes go
 * through the registry's service, never through here.
 */
import type { Kysely } from "kysely";
import type { FieldDef } from "../../core/registry-fields.ts";
import type { DB } from "../../db/schema.ts";
import type { RegionName } from "./national.regions.ts";

type Row = Record<string, unknown>;

/** A stored column value as a field value (0/1 → boolean, JSON lists, numbers). */
export function fieldValue(def: FieldDef, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (def.kind) {
    case "flag":
      return Number(value) === 1;
    case "enum_list":
      return JSON.parse(value as string) as string[];
    case "money":
    case "int":
    case "decimal":
      return Number(value);
    default:
      return value;
  }
}

export interface Keyset {
  villageCode: string;
  id: number;
}

export function createExchangeRepository(db: Kysely<DB>) {
  return {
    region(code: string): Promise<RegionName | undefined> {
      return db.selectFrom("regions").selectAll().where("code", "=", code).executeTakeFirst();
    },

    /** Regions by code (ancestors and villages, for names in an export). */
    async regions(codes: readonly string[]): Promise<RegionName[]> {
      const out: RegionName[] = [];
      for (let i = 0; i < codes.length; i += 1000) {
        const part = codes.slice(i, i + 1000);
        if (part.length === 0) continue;
        out.push(
          ...(await db.selectFrom("regions").selectAll().where("code", "in", part).execute()),
        );
      }
      return out;
    },

    /** Whether any county is loaded (an empty region table explains every name not found). */
    async hasCounties(): Promise<boolean> {
      const r = await db
        .selectFrom("regions")
        .select("code")
        .where("level", "=", 3)
        .limit(1)
        .executeTakeFirst();
      return r !== undefined;
    },

    /** Towns and villages under a county. */
    below(county: string): Promise<RegionName[]> {
      return db
        .selectFrom("regions")
        .selectAll()
        .where("code", ">", county)
        .where("code", "<", `${county}~`)
        .where("level", "in", [4, 5])
        .orderBy("code")
        .execute();
    },

    /** Counties whose name starts with the text, within a code range when given. */
    countiesLike(text: string, scope: [string, string] | null): Promise<RegionName[]> {
      let q = db
        .selectFrom("regions")
        .selectAll()
        .where("level", "=", 3)
        .where("name", "like", `${text.replace(/[%_\\]/g, "")}%`)
        .limit(50);
      if (scope) q = q.where("code", ">=", scope[0].slice(0, 6)).where("code", "<", scope[1]);
      return q.execute();
    },

    /**
     * Households of a village-code range, ordered by village then id, after a keyset position:
     * the index (village_code, id) serves it, so an export of any size reads in bounded memory.
     */
    householdPage(range: [string, string], after: Keyset | null, limit: number): Promise<Row[]> {
      let q = db
        .selectFrom("households")
        .selectAll()
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .orderBy("village_code")
        .orderBy("id")
        .limit(limit);
      if (after) {
        q = q.where((eb) =>
          eb.or([
            eb("village_code", ">", after.villageCode),
            eb.and([eb("village_code", "=", after.villageCode), eb("id", ">", after.id)]),
          ]),
        );
      }
      return q.execute() as Promise<Row[]>;
    },

    /** Active members of households, by household then position. */
    activeMembers(householdIds: readonly number[]): Promise<Row[]> {
      if (householdIds.length === 0) return Promise.resolve([]);
      return db
        .selectFrom("members")
        .selectAll()
        .where("household_id", "in", householdIds)
        .where("status", "=", "active")
        .orderBy("household_id")
        .orderBy("position")
        .orderBy("id")
        .execute() as Promise<Row[]>;
    },

    /** Names of the extra attributes stored in a village-code range (households and members). */
    async extraKeys(range: [string, string]): Promise<{ household: string[]; member: string[] }> {
      const collect = (rows: { extra: string | null }[], into: Set<string>) => {
        for (const r of rows)
          if (r.extra) for (const k of Object.keys(JSON.parse(r.extra))) into.add(k);
      };
      const household = new Set<string>();
      const member = new Set<string>();
      collect(
        await db
          .selectFrom("households")
          .select("extra")
          .distinct()
          .where("village_code", ">=", range[0])
          .where("village_code", "<", range[1])
          .where("extra", "is not", null)
          .execute(),
        household,
      );
      collect(
        await db
          .selectFrom("members as m")
          .innerJoin("households as h", "h.id", "m.household_id")
          .select("m.extra")
          .distinct()
          .where("h.village_code", ">=", range[0])
          .where("h.village_code", "<", range[1])
          .where("m.status", "=", "active")
          .where("m.extra", "is not", null)
          .execute(),
        member,
      );
      return { household: [...household].sort(), member: [...member].sort() };
    },
  };
}
export type ExchangeRepository = ReturnType<typeof createExchangeRepository>;
