/**
 * What a chunk of valid rows becomes: each row matched to a member (or kept as unmatched or
 * ambiguous) and compared with the current fact of its key (created, unchanged, superseding
 * it, or refused when that fact lies outside the loader's scope). Nothing is written here: the
 * decision is plain data (flat arrays), written by the load's store (feeds.bulk.ts), in the
 * loading thread (a large file's worker thread only reads and checks it).
 */
import { type Actor, inScope } from "../auth/index.ts";
import type { FeedDef } from "../policy/index.ts";
import type { FeedProblem, FeedRow } from "./feed.format.ts";
import type { MemberIndex } from "./feeds.lookup.ts";
import type { CurrentFact, Holder } from "./feeds.repository.ts";

/** A value of a fact or row as written. */
export type Value = string | number | null;

/**
 * Fields per fact in `Decision.facts`: key, idNumber, memberId, householdId, village, from, to,
 * period, vals, row, replaces (the current fact it supersedes, or null).
 */
export const FACT_FIELDS = 11;
/** Fields per row in `Decision.rows`: row, outcome, reason, idNumber, name, village, vals. */
export const ROW_FIELDS_UNMATCHED = 7;

export interface Decision {
  /** Facts to create, `FACT_FIELDS` each. */
  facts: Value[];
  /** Rows that matched no one (or several households), `ROW_FIELDS_UNMATCHED` each. */
  rows: Value[];
  matched: number;
  unmatched: number;
  ambiguous: number;
  /** Rows refused (their key's current fact is outside the loader's scope). */
  rejected: number;
  unchanged: number;
  superseded: number;
  errors: FeedProblem[];
  /** Current facts the rows leave as they are (kept for feeds with a period only). */
  kept: number[];
}

/** How a chunk finds its members and current facts (the load's store). */
export interface MatchLookups {
  holdersOf(idNumbers: readonly string[], rowsExpected: number): Promise<Map<string, Holder[]>>;
  currentFacts(keys: readonly string[]): Promise<Map<string, CurrentFact>>;
  /**
   * The region's members in memory, when the lookups read them for a file this large (else
   * null): a row whose ID number has one member, active, is matched from it directly.
   */
  indexFor?(rowsExpected: number): Promise<MemberIndex | null>;
}

/** Who loads what: the actor (scope), the village range of their scope, the feed. */
export interface MatchScope {
  actor: Actor;
  range: readonly [string, string] | null;
  def: FeedDef;
  /** The header of the key's first column, as the file has it (for `key_out_of_scope`). */
  keyHeader: string;
}

/** Why a row was not linked to a member. */
export type NoMatchReason = "member_not_found" | "several_households" | "name_mismatch";

type NoMatch = { kind: "unmatched" | "ambiguous"; reason: NoMatchReason; village: string | null };
type Match = { kind: "matched"; holder: Holder } | NoMatch;

const sameName = (a: string, b: string) => a.replace(/\s+/g, "") === b.replace(/\s+/g, "");

const nameDiffers = (row: FeedRow, name: string) =>
  row.name !== null && row.name !== name && !sameName(row.name, name);

/**
 * Why a row does not match the active member of its ID number, of this name and village; null
 * when it does.
 */
function refusedByActive(
  row: FeedRow,
  name: string,
  village: string,
  actor: Actor,
): NoMatch | null {
  // A person registered elsewhere is, for this user, not in the registry.
  if (!inScope(actor, village))
    return { kind: "unmatched", reason: "member_not_found", village: null };
  if (nameDiffers(row, name)) return { kind: "ambiguous", reason: "name_mismatch", village };
  return null;
}

/** Links a row to a member: the active holder of its ID number, else a removed one. */
export function matchRow(row: FeedRow, holders: readonly Holder[], actor: Actor): Match {
  const active = holders.find((h) => h.status === "active");
  if (active)
    return (
      refusedByActive(row, active.name, active.village_code, actor) ?? {
        kind: "matched",
        holder: active,
      }
    );
  // The latest removed member first, in whatever order the lookup found them (per chunk or in
  // memory): an ambiguous row is listed under that member's village.
  const removed = holders.filter((h) => inScope(actor, h.village_code)).sort((a, b) => b.id - a.id);
  const households = new Set(removed.map((h) => h.household_id));
  if (households.size > 1)
    return { kind: "ambiguous", reason: "several_households", village: removed[0]!.village_code };
  const holder = removed[0];
  if (!holder) return { kind: "unmatched", reason: "member_not_found", village: null };
  if (nameDiffers(row, holder.name))
    return { kind: "ambiguous", reason: "name_mismatch", village: holder.village_code };
  return { kind: "matched", holder };
}

/** Decides what the rows (valid, keys unique in the file) become. */
export async function decide(
  rows: readonly FeedRow[],
  lookups: MatchLookups,
  scope: MatchScope,
  rowsExpected: number,
): Promise<Decision> {
  const { actor, range, def } = scope;
  const d: Decision = {
    facts: [],
    rows: [],
    matched: 0,
    unmatched: 0,
    ambiguous: 0,
    rejected: 0,
    unchanged: 0,
    superseded: 0,
    errors: [],
    kept: [],
  };
  // Most rows name one member, active: with the region's members in memory such a row is
  // matched from them as `matchRow` would match it, without a holder object. The others
  // (several members, removed ones, none) are looked up and go through `matchRow`.
  const index = lookups.indexFor ? await lookups.indexFor(rowsExpected) : null;
  const sole = new Int32Array(rows.length);
  const ids = new Set<string>();
  for (let i = 0; i < rows.length; i++) {
    sole[i] = index ? index.soleActive(rows[i]!.idNumber) : -1;
    if (sole[i]! < 0) ids.add(rows[i]!.idNumber);
  }
  const holders = ids.size > 0 ? await lookups.holdersOf([...ids], rowsExpected) : new Map();
  const matched: FeedRow[] = [];
  /** Per matched row: its member's place in `index`, or -1 and the holder in `matchedHolders`. */
  const matchedAt: number[] = [];
  const matchedHolders: (Holder | null)[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const at = sole[i]!;
    // null: matched to the member at `at`.
    const m =
      at >= 0
        ? refusedByActive(row, index!.nameAt(at), index!.villageAt(at), actor)
        : matchRow(row, holders.get(row.idNumber) ?? [], actor);
    if (m === null || m.kind === "matched") {
      matched.push(row);
      matchedAt.push(m === null ? at : -1);
      matchedHolders.push(m === null ? null : m.holder);
      continue;
    }
    d[m.kind]++;
    d.rows.push(row.row, m.kind, m.reason, row.idNumber, row.name, m.village, row.vals);
  }
  const current = await lookups.currentFacts(matched.map((r) => r.key));
  for (let i = 0; i < matched.length; i++) {
    const row = matched[i]!;
    const holder = matchedHolders[i];
    const at = matchedAt[i]!;
    const memberId = holder ? holder.id : index!.idAt(at);
    const old = current.get(row.key);
    if (old && range && !(old.village_code >= range[0] && old.village_code < range[1])) {
      d.errors.push({
        row: row.row,
        column: scope.keyHeader,
        code: "key_out_of_scope",
        message: "该行的记录此前已登记在您管辖范围以外的户下，不能由本次上传更正，请联系上级部门",
      });
      d.rejected++;
      continue;
    }
    d.matched++;
    if (
      old &&
      old.member_id === memberId &&
      old.vals === row.vals &&
      old.effective_from === row.from &&
      old.effective_to === row.to
    ) {
      d.unchanged++;
      if (def.period) d.kept.push(old.id);
      continue;
    }
    d.facts.push(
      row.key,
      row.idNumber,
      memberId,
      holder ? holder.household_id : index!.householdAt(at),
      holder ? holder.village_code : index!.villageAt(at),
      row.from,
      row.to,
      row.period,
      row.vals,
      row.row,
      old ? old.id : null,
    );
    if (old) d.superseded++;
  }
  return d;
}
