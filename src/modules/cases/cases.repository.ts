/** Case, notice, objection and attachment queries (Kysely only). Reads take a region range. */
import { type Insertable, type Kysely, sql, type Updateable } from "kysely";
import type {
  AttachmentTable,
  CaseStepTable,
  CaseTable,
  DB,
  NoticeBatchTable,
  NoticeEntryTable,
  ObjectionTable,
} from "../../db/schema.ts";

export type Range = [string, string] | null;

export interface CaseFilter {
  range: [string, string];
  type?: string;
  statuses: readonly CaseTable["status"][];
  steps?: readonly string[] | undefined;
  overdueBefore?: string;
  householdNumber?: string;
  beforeId?: number;
  limit: number;
}

export function createCasesRepository(db: Kysely<DB>) {
  const withHousehold = () =>
    db
      .selectFrom("cases as c")
      .innerJoin("households as h", "h.id", "c.household_id")
      .leftJoin("regions as v", "v.code", "c.village_code")
      .leftJoin("regions as t", "t.code", "v.parent_code")
      .selectAll("c")
      .select([
        "h.household_number",
        "h.head_name",
        "h.size",
        "h.group_name",
        "h.risk_factors as household_risks",
        "v.name as village_name",
        "t.name as town_name",
      ]);

  return {
    async insertCase(row: Insertable<CaseTable>): Promise<number> {
      const r = await db.insertInto("cases").values(row).returning("id").executeTakeFirstOrThrow();
      return Number(r.id);
    },

    async setNumber(id: number, number: string) {
      await db.updateTable("cases").set({ number }).where("id", "=", id).execute();
    },

    findCase(number: string, range: Range) {
      let q = withHousehold().where("c.number", "=", number);
      if (range)
        q = q.where("c.village_code", ">=", range[0]).where("c.village_code", "<", range[1]);
      return q.executeTakeFirst();
    },

    findCaseById(id: number) {
      return withHousehold().where("c.id", "=", id).executeTakeFirst();
    },

    findCases(numbers: readonly string[], range: Range) {
      let q = withHousehold().where("c.number", "in", numbers);
      if (range)
        q = q.where("c.village_code", ">=", range[0]).where("c.village_code", "<", range[1]);
      return q.orderBy("c.id").execute();
    },

    list(f: CaseFilter) {
      let q = withHousehold()
        .where("c.village_code", ">=", f.range[0])
        .where("c.village_code", "<", f.range[1])
        .where("c.status", "in", f.statuses)
        .orderBy("c.id", "desc")
        .limit(f.limit);
      if (f.type) q = q.where("c.type", "=", f.type);
      if (f.steps !== undefined) q = q.where("c.current_step", "in", f.steps);
      if (f.overdueBefore)
        q = q.where("c.deadline", "<", f.overdueBefore).where("c.decided_on", "is", null);
      if (f.householdNumber) q = q.where("h.household_number", "=", f.householdNumber);
      if (f.beforeId !== undefined) q = q.where("c.id", "<", f.beforeId);
      return q.execute();
    },

    /** Open cases (active or paused) of a household, of one type. */
    openCasesOf(householdId: number, type: string) {
      return db
        .selectFrom("cases")
        .select(["id", "number"])
        .where("household_id", "=", householdId)
        .where("type", "=", type)
        .where("status", "in", ["active", "paused"])
        .execute();
    },

    /** Applies a change if the case is still at `version`; returns whether it was. */
    async updateCase(id: number, version: number, patch: Updateable<CaseTable>): Promise<boolean> {
      const r = await db
        .updateTable("cases")
        .set({ ...patch, version: version + 1 })
        .where("id", "=", id)
        .where("version", "=", version)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async deleteCase(id: number) {
      await db.deleteFrom("case_steps").where("case_id", "=", id).execute();
      await db.deleteFrom("cases").where("id", "=", id).execute();
    },

    async insertStep(row: Insertable<CaseStepTable>) {
      await db.insertInto("case_steps").values(row).execute();
    },

    steps(caseId: number) {
      return db
        .selectFrom("case_steps")
        .selectAll()
        .where("case_id", "=", caseId)
        .orderBy("id")
        .execute();
    },

    /**
     * Evaluates boolean SQL expressions (compiled guards) for one household: 1 true, 0 false,
     * null unknown.
     */
    async evaluate(
      householdId: number,
      expressions: readonly string[],
    ): Promise<(number | null)[]> {
      if (expressions.length === 0) return [];
      const columns = expressions.map(
        (e, i) => `CASE WHEN (${e}) THEN 1 WHEN NOT (${e}) THEN 0 END AS g${i}`,
      );
      const r = await sql<
        Record<string, number | null>
      >`SELECT ${sql.raw(columns.join(", "))} FROM households h WHERE h.id = ${householdId}`.execute(
        db,
      );
      const row = r.rows[0] ?? {};
      return expressions.map((_, i) => {
        const v = row[`g${i}`];
        return v === null || v === undefined ? null : Number(v);
      });
    },

    /** The household a verification task is about, and its status. */
    verification(id: number) {
      return db
        .selectFrom("verifications")
        .select(["household_id", "status"])
        .where("id", "=", id)
        .executeTakeFirst();
    },

    regionNames(codes: readonly string[]) {
      if (codes.length === 0) return Promise.resolve([]);
      return db.selectFrom("regions").select(["code", "name"]).where("code", "in", codes).execute();
    },

    async insertBatch(row: Insertable<NoticeBatchTable>): Promise<number> {
      const r = await db
        .insertInto("notice_batches")
        .values(row)
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(r.id);
    },

    async insertEntries(rows: Insertable<NoticeEntryTable>[]) {
      if (rows.length > 0) await db.insertInto("notice_entries").values(rows).execute();
    },

    findBatch(id: number, range: Range) {
      let q = db.selectFrom("notice_batches").selectAll().where("id", "=", id);
      if (range) q = q.where("village_code", ">=", range[0]).where("village_code", "<", range[1]);
      return q.executeTakeFirst();
    },

    batches(range: [string, string], limit: number) {
      return db
        .selectFrom("notice_batches")
        .selectAll()
        .where("village_code", ">=", range[0])
        .where("village_code", "<", range[1])
        .orderBy("id", "desc")
        .limit(limit)
        .execute();
    },

    /** A village's batches whose period includes the day. */
    activeBatches(villageCode: string, day: string) {
      return db
        .selectFrom("notice_batches")
        .selectAll()
        .where("village_code", "=", villageCode)
        .where("starts_on", "<=", day)
        .where("ends_on", ">=", day)
        .orderBy("id")
        .execute();
    },

    entries(batchIds: readonly number[]) {
      if (batchIds.length === 0) return Promise.resolve([]);
      return db
        .selectFrom("notice_entries")
        .selectAll()
        .where("batch_id", "in", batchIds)
        .orderBy("batch_id")
        .orderBy("seq")
        .execute();
    },

    /** The latest notice entry of each case, with its batch's period. */
    noticesOf(caseIds: readonly number[]) {
      if (caseIds.length === 0) return Promise.resolve([]);
      return db
        .selectFrom("notice_entries as e")
        .innerJoin("notice_batches as b", "b.id", "e.batch_id")
        .select(["e.id", "e.case_id", "e.batch_id", "b.starts_on", "b.ends_on", "b.kind"])
        .where("e.case_id", "in", caseIds)
        .where("b.kind", "=", "notice")
        .orderBy("e.id")
        .execute();
    },

    async insertObjection(row: Insertable<ObjectionTable>): Promise<number> {
      const r = await db
        .insertInto("objections")
        .values(row)
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(r.id);
    },

    objections(caseId: number) {
      return db
        .selectFrom("objections")
        .selectAll()
        .where("case_id", "=", caseId)
        .orderBy("id")
        .execute();
    },

    batchObjections(batchId: number) {
      return db
        .selectFrom("objections")
        .selectAll()
        .where("batch_id", "=", batchId)
        .orderBy("id")
        .execute();
    },

    /** An objection by its receipt number, with the title of the notice it was lodged against. */
    objectionByReceipt(receipt: string) {
      return db
        .selectFrom("objections as o")
        .innerJoin("notice_batches as b", "b.id", "o.batch_id")
        .select([
          "o.receipt",
          "o.received_at",
          "o.status",
          "o.outcome",
          "o.resolution",
          "o.resolved_at",
          "b.title",
        ])
        .where("o.receipt", "=", receipt)
        .executeTakeFirst();
    },

    findObjection(id: number, range: Range) {
      let q = db.selectFrom("objections").selectAll().where("id", "=", id);
      if (range) q = q.where("village_code", ">=", range[0]).where("village_code", "<", range[1]);
      return q.executeTakeFirst();
    },

    async updateObjection(id: number, patch: Updateable<ObjectionTable>): Promise<boolean> {
      const r = await db
        .updateTable("objections")
        .set(patch)
        .where("id", "=", id)
        .where("status", "=", "open")
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    async openObjectionCount(caseId: number): Promise<number> {
      const r = await db
        .selectFrom("objections")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("case_id", "=", caseId)
        .where("status", "=", "open")
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    },

    async insertAttachment(row: Insertable<AttachmentTable>): Promise<number> {
      const r = await db
        .insertInto("attachments")
        .values(row)
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(r.id);
    },

    attachments(caseId: number) {
      return db
        .selectFrom("attachments")
        .selectAll()
        .where("case_id", "=", caseId)
        .orderBy("id")
        .execute();
    },

    findAttachment(id: number, range: Range) {
      let q = db
        .selectFrom("attachments as a")
        .innerJoin("cases as c", "c.id", "a.case_id")
        .selectAll("a")
        .select(["c.village_code", "c.number"])
        .where("a.id", "=", id);
      if (range)
        q = q.where("c.village_code", ">=", range[0]).where("c.village_code", "<", range[1]);
      return q.executeTakeFirst();
    },
  };
}
export type CasesRepository = ReturnType<typeof createCasesRepository>;
export type CaseRow = NonNullable<Awaited<ReturnType<CasesRepository["findCase"]>>>;
