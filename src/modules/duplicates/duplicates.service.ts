/**
 * Duplicate review (疑似重复人员核查): likely duplicate members within the actor's region,
 * offered for a decision — dismiss (not the same person), or merge: the duplicate is removed
 * from its household as 重复录入 through a registry event, so both households keep their whole
 * history, and the decision is recorded with who took it.
 */
import type { Kysely } from "kysely";
import { chinaDate } from "../../core/dates.ts";
import { type DuplicateKind, findCandidates } from "../../core/duplicates.ts";
import { conflict, invalid, notFound } from "../../core/errors.ts";
import { maskIdNumber } from "../../core/id-number.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { type Actor, assertCan, scopeRange } from "../auth/index.ts";
import type { PolicyService } from "../policy/index.ts";
import type { RegistryService } from "../registry/index.ts";

export interface DuplicatesDeps {
  db: Kysely<DB>;
  now: () => Date;
  policies: PolicyService;
  registry: RegistryService;
}

export interface DuplicateMember {
  memberId: number;
  name: string;
  idNumber: string;
  birthDate: string;
  relationship: string | null;
  householdNumber: string;
  villageCode: string;
  villageName: string;
}

export interface DuplicatePair {
  kind: DuplicateKind;
  a: DuplicateMember;
  b: DuplicateMember;
}

const LIMIT = 500;

export function createDuplicatesService({ db, now, policies, registry }: DuplicatesDeps) {
  /** Active members of the region with what a reviewer needs to tell them apart. */
  async function membersIn(actor: Actor, region: string | null, ids?: readonly number[]) {
    let q = db
      .selectFrom("members as m")
      .innerJoin("households as h", "h.id", "m.household_id")
      .leftJoin("regions as v", "v.code", "h.village_code")
      .select([
        "m.id",
        "m.household_id",
        "m.name",
        "m.birth_date",
        "m.id_number",
        "m.relationship",
        "h.household_number",
        "h.village_code",
        "h.version",
        "v.name as village_name",
      ])
      .where("m.status", "=", "active");
    for (const code of [actor.regionCode, region]) {
      if (!code) continue;
      const [low, high] = scopeRange(code);
      q = q.where("h.village_code", ">=", low).where("h.village_code", "<", high);
    }
    if (ids) q = q.where("m.id", "in", [...ids]);
    return q.execute();
  }

  const present = (r: Awaited<ReturnType<typeof membersIn>>[number]): DuplicateMember => ({
    memberId: Number(r.id),
    name: r.name,
    idNumber: maskIdNumber(r.id_number),
    birthDate: r.birth_date ?? "",
    relationship: r.relationship,
    householdNumber: r.household_number,
    villageCode: r.village_code,
    villageName: r.village_name ?? r.village_code,
  });

  async function pairsIn(actor: Actor, region: string | null) {
    const rows = await membersIn(actor, region);
    const reviewed = await db
      .selectFrom("duplicate_reviews")
      .select(["member_a", "member_b"])
      .execute();
    const known = new Set(reviewed.map((r) => `${r.member_a}:${r.member_b}`));
    const homophones = policies.forRegion(
      actor.regionCode ?? region,
      Number(chinaDate(now()).slice(0, 4)),
    ).homophones;
    return findCandidates(
      rows.map((r) => ({
        ...r,
        id: Number(r.id),
        householdId: Number(r.household_id),
        birthDate: r.birth_date,
      })),
      homophones,
      known,
    );
  }

  /** The pair as it stands now, or not found when either member is gone or out of scope. */
  async function pair(actor: Actor, first: number, second: number) {
    const [a, b] = first < second ? [first, second] : [second, first];
    const pairs = await pairsIn(actor, null);
    const found = pairs.find((p) => p.a.id === a && p.b.id === b);
    if (!found)
      throw notFound("没有这对疑似重复人员（可能已处理，或不在您的管辖范围内）", {
        code: "duplicate_not_found",
      });
    return found;
  }

  return {
    async candidates(actor: Actor, region: string | null = null): Promise<DuplicatePair[]> {
      assertCan(actor, "household.read");
      const pairs = await pairsIn(actor, region);
      return pairs.slice(0, LIMIT).map((p) => ({ kind: p.kind, a: present(p.a), b: present(p.b) }));
    },

    /** Records that the two are different people: the pair is not offered again. */
    async dismiss(actor: Actor, first: number, second: number, note: string | null) {
      assertCan(actor, "duplicate.review");
      const p = await pair(actor, first, second);
      const at = now().toISOString();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto("duplicate_reviews")
          .values({
            member_a: p.a.id,
            member_b: p.b.id,
            kind: p.kind,
            decision: "dismissed",
            kept_member: null,
            note,
            actor_id: actor.id,
            actor_name: actor.username,
            decided_at: at,
          })
          .execute();
        await audit(trx, actor, at, "duplicate.dismiss", {
          targetType: "member",
          targetId: `${p.a.id},${p.b.id}`,
          regionCode: p.a.village_code,
        });
      });
    },

    /**
     * Merges: `remove` leaves its household as a duplicate of `keep` (a member.removed event
     * with reason duplicate, naming the kept member), then the decision is recorded.
     */
    async merge(actor: Actor, keep: number, remove: number, note: string | null) {
      assertCan(actor, "duplicate.review");
      assertCan(actor, "household.update");
      if (keep === remove) throw invalid("保留和删除的是同一人", { code: "duplicate_same_member" });
      const p = await pair(actor, keep, remove);
      const gone = p.a.id === remove ? p.a : p.b;
      const kept = p.a.id === keep ? p.a : p.b;
      const why = `与 ${kept.household_number} 户的 ${kept.name} 为同一人（疑似重复人员核查）${note ? `：${note}` : ""}`;
      await registry.removeMember(
        actor,
        gone.household_number,
        gone.id,
        { version: gone.version, reason: "duplicate", note: why },
        { source: "ui", sourceRef: `duplicate:${kept.id}`, reason: why },
      );
      const at = now().toISOString();
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .insertInto("duplicate_reviews")
            .values({
              member_a: p.a.id,
              member_b: p.b.id,
              kind: p.kind,
              decision: "merged",
              kept_member: kept.id,
              note,
              actor_id: actor.id,
              actor_name: actor.username,
              decided_at: at,
            })
            .execute();
          await audit(trx, actor, at, "duplicate.merge", {
            targetType: "member",
            targetId: `${kept.id},${gone.id}`,
            regionCode: gone.village_code,
          });
        });
      } catch (e) {
        // The member is removed (with its event) either way; only the record of the decision failed.
        throw conflict("已删除重复人员，但记录核查结论失败，请刷新", {
          code: "duplicate_record_failed",
          cause: e,
        });
      }
    },
  };
}
export type DuplicatesService = ReturnType<typeof createDuplicatesService>;
