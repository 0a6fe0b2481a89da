/** Registry queries (Kysely only; no policy here). Every read takes the caller's scope range. */
import { type Insertable, type Kysely, sql, type Updateable } from "kysely";
import type { DB, HouseholdEventTable, HouseholdTable, MemberTable } from "../../db/schema.ts";
import { runShaped } from "../../db/shaped-query.ts";

export type Scope = [string, string] | null;
type Row = Record<string, unknown>;

/** Rows per multi-row INSERT, kept under SQLite's 32,766 bound variables. */
const chunkFor = (columns: number) => Math.max(1, Math.floor(30_000 / columns));

export interface ListFilter {
  region?: [string, string];
  q?: string;
  idNumber?: string;
  householdType?: string;
  monitoringCategory?: string;
  monitored?: boolean;
  afterId?: number;
  limit: number;
}

export function createRegistryRepository(db: Kysely<DB>) {
  const withRegions = () =>
    db
      .selectFrom("households as h")
      .leftJoin("regions as v", "v.code", "h.village_code")
      .leftJoin("regions as t", "t.code", "v.parent_code");

  return {
    findHousehold(householdNumber: string, scope: Scope) {
      let q = withRegions()
        .selectAll("h")
        .select(["v.name as village_name", "t.code as town_code", "t.name as town_name"])
        .where("h.household_number", "=", householdNumber);
      if (scope)
        q = q.where("h.village_code", ">=", scope[0]).where("h.village_code", "<", scope[1]);
      return q.executeTakeFirst();
    },

    /** Households by number, unscoped (callers check scope), with region names. */
    async findHouseholds(numbers: readonly string[]) {
      const out = [];
      for (let i = 0; i < numbers.length; i += 1000) {
        out.push(
          ...(await withRegions()
            .selectAll("h")
            .select(["v.name as village_name", "t.code as town_code", "t.name as town_name"])
            .where("h.household_number", "in", numbers.slice(i, i + 1000))
            .execute()),
        );
      }
      return out;
    },

    /** Household rows by number, unscoped (callers check scope), without region names. */
    async householdsByNumber(numbers: readonly string[]) {
      const out = [];
      for (let i = 0; i < numbers.length; i += 1000) {
        out.push(
          ...(await db
            .selectFrom("households")
            .selectAll()
            .where("household_number", "in", numbers.slice(i, i + 1000))
            .execute()),
        );
      }
      return out;
    },

    /** Members of many households, in household then position order. */
    async membersOf(householdIds: readonly number[]) {
      const out = [];
      for (let i = 0; i < householdIds.length; i += 1000) {
        out.push(
          ...(await db
            .selectFrom("members")
            .selectAll()
            .where("household_id", "in", householdIds.slice(i, i + 1000))
            .orderBy("household_id")
            .orderBy("position")
            .orderBy("id")
            .execute()),
        );
      }
      return out;
    },

    members(householdId: number) {
      return db
        .selectFrom("members")
        .selectAll()
        .where("household_id", "=", householdId)
        .orderBy("position")
        .orderBy("id")
        .execute();
    },

    /**
     * A page of households in scope matching the filter, by id. The list (and the lookup by ID
     * number through it) is what the API answers most, so its query is compiled once per
     * combination of filters present (runShaped) rather than at every request.
     */
    async list(filter: ListFilter, scope: Scope) {
      const stripped = filter.q?.replace(/[%_\\]/g, "");
      const values = {
        scopeFrom: scope?.[0],
        scopeTo: scope?.[1],
        regionFrom: filter.region?.[0],
        regionTo: filter.region?.[1],
        afterId: filter.afterId,
        idNumber: filter.idNumber || undefined,
        like: filter.q ? `%${stripped}%` : undefined,
        prefix: filter.q ? `${stripped}%` : undefined,
        householdType: filter.householdType || undefined,
        monitoringCategory: filter.monitoringCategory || undefined,
        limit: filter.limit,
      };
      const present = (Object.keys(values) as (keyof typeof values)[]).filter(
        (k) => values[k] !== undefined,
      );
      const shape = `household-list:${present.join(",")}:${filter.monitored ?? ""}`;
      return runShaped(db, shape, values, (p) => {
        let q = withRegions()
          .select([
            "h.id",
            "h.household_number",
            "h.village_code",
            "h.group_name",
            "h.head_name",
            "h.size",
            "h.household_type",
            "h.monitoring_category",
            "h.risk_eliminated",
            "h.per_capita_income",
            "h.version",
            "h.updated_at",
            "v.name as village_name",
            "t.code as town_code",
            "t.name as town_name",
          ])
          .orderBy("h.id")
          .limit(p.limit);
        const has = (k: keyof typeof values) => values[k] !== undefined;
        if (has("scopeFrom"))
          q = q
            .where("h.village_code", ">=", p.scopeFrom!)
            .where("h.village_code", "<", p.scopeTo!);
        if (has("regionFrom"))
          q = q
            .where("h.village_code", ">=", p.regionFrom!)
            .where("h.village_code", "<", p.regionTo!);
        if (has("afterId")) q = q.where("h.id", ">", p.afterId!);
        if (has("idNumber"))
          q = q.where(
            "h.id",
            "in",
            db
              .selectFrom("members")
              .select("household_id")
              .where("id_number", "=", p.idNumber!)
              .where("status", "=", "active"),
          );
        if (has("like"))
          q = q.where((eb) =>
            eb.or([
              eb("h.head_name", "like", p.like!),
              eb("h.household_number", "like", p.prefix!),
              eb.exists(
                eb
                  .selectFrom("members as m")
                  .select(sql`1`.as("one"))
                  .whereRef("m.household_id", "=", "h.id")
                  .where("m.name", "like", p.like!),
              ),
            ]),
          );
        if (has("householdType")) q = q.where("h.household_type", "=", p.householdType!);
        if (has("monitoringCategory"))
          q = q.where("h.monitoring_category", "=", p.monitoringCategory!);
        if (filter.monitored !== undefined) {
          q = filter.monitored
            ? q
                .where("h.monitoring_category", "is not", null)
                .where((eb) =>
                  eb.or([eb("h.risk_eliminated", "is", null), eb("h.risk_eliminated", "=", 0)]),
                )
            : q.where((eb) =>
                eb.or([eb("h.monitoring_category", "is", null), eb("h.risk_eliminated", "=", 1)]),
              );
        }
        return q;
      });
    },

    async insertHouseholds(rows: Row[]): Promise<{ id: number; household_number: string }[]> {
      const out: { id: number; household_number: string }[] = [];
      const size = chunkFor(Object.keys(rows[0] ?? {}).length || 1);
      for (let i = 0; i < rows.length; i += size) {
        const r = await db
          .insertInto("households")
          .values(rows.slice(i, i + size) as Insertable<HouseholdTable>[])
          .returning(["id", "household_number"])
          .execute();
        for (const x of r) out.push({ id: Number(x.id), household_number: x.household_number });
      }
      return out;
    },

    async insertMembers(
      rows: Row[],
    ): Promise<{ id: number; id_number: string; household_id: number }[]> {
      const out: { id: number; id_number: string; household_id: number }[] = [];
      const size = chunkFor(Object.keys(rows[0] ?? {}).length || 1);
      for (let i = 0; i < rows.length; i += size) {
        const r = await db
          .insertInto("members")
          .values(rows.slice(i, i + size) as Insertable<MemberTable>[])
          .returning(["id", "id_number", "household_id"])
          .execute();
        for (const x of r)
          out.push({
            id: Number(x.id),
            id_number: x.id_number,
            household_id: Number(x.household_id),
          });
      }
      return out;
    },

    /** Inserts members; returns their ids with household and position. */
    async insertMembersAt(
      rows: Row[],
    ): Promise<{ id: number; household_id: number; position: number }[]> {
      const out: { id: number; household_id: number; position: number }[] = [];
      const size = chunkFor(Object.keys(rows[0] ?? {}).length || 1);
      for (let i = 0; i < rows.length; i += size) {
        const r = await db
          .insertInto("members")
          .values(rows.slice(i, i + size) as Insertable<MemberTable>[])
          .returning(["id", "household_id", "position"])
          .execute();
        for (const x of r)
          out.push({
            id: Number(x.id),
            household_id: Number(x.household_id),
            position: x.position,
          });
      }
      return out;
    },

    /** Applies a change if the household is still at `version`; returns whether it was. */
    async updateHousehold(id: number, version: number, patch: Row): Promise<boolean> {
      const r = await db
        .updateTable("households")
        .set({ ...(patch as Updateable<HouseholdTable>), version: version + 1 })
        .where("id", "=", id)
        .where("version", "=", version)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async updateMember(id: number, patch: Row): Promise<void> {
      await db
        .updateTable("members")
        .set(patch as Updateable<MemberTable>)
        .where("id", "=", id)
        .execute();
    },

    async insertEvents(rows: Insertable<HouseholdEventTable>[]) {
      const size = chunkFor(10);
      for (let i = 0; i < rows.length; i += size) {
        await db
          .insertInto("household_events")
          .values(rows.slice(i, i + size))
          .execute();
      }
    },

    events(householdId: number, before?: string) {
      let q = db
        .selectFrom("household_events")
        .selectAll()
        .where("household_id", "=", householdId)
        .orderBy("version");
      if (before) q = q.where("at", "<", before);
      return q.execute();
    },

    /** Active members holding any of these ID numbers, with their household. */
    async holdersOf(idNumbers: readonly string[]) {
      const out: { id_number: string; household_number: string; name: string }[] = [];
      for (let i = 0; i < idNumbers.length; i += 1000) {
        const part = idNumbers.slice(i, i + 1000);
        out.push(
          ...(await db
            .selectFrom("members as m")
            .innerJoin("households as h", "h.id", "m.household_id")
            .select(["m.id_number", "h.household_number", "m.name"])
            .where("m.status", "=", "active")
            .where("m.id_number", "in", part)
            .execute()),
        );
      }
      return out;
    },

    async existingHouseholdNumbers(numbers: readonly string[]): Promise<string[]> {
      const out: string[] = [];
      for (let i = 0; i < numbers.length; i += 1000) {
        const r = await db
          .selectFrom("households")
          .select("household_number")
          .where("household_number", "in", numbers.slice(i, i + 1000))
          .execute();
        out.push(...r.map((x) => x.household_number));
      }
      return out;
    },

    /** Village codes among these that exist as villages. */
    async existingVillages(codes: readonly string[]): Promise<Set<string>> {
      if (codes.length === 0) return new Set();
      const r = await db
        .selectFrom("regions")
        .select("code")
        .where("level", "=", 5)
        .where("code", "in", codes)
        .execute();
      return new Set(r.map((x) => x.code));
    },

    async countHouseholds(): Promise<number> {
      const r = await db
        .selectFrom("households")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
export type RegistryRepository = ReturnType<typeof createRegistryRepository>;
