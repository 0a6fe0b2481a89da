/**
 * Registry use cases: read households within the actor's scope, and change them only through
 * history events (household.created, household.updated, member.added/updated/removed), each
 * written with the row changes in one transaction, version-checked.
 */
import { type Kysely, sql } from "kysely";
import { chinaDate, endOfChinaDay } from "../../core/dates.ts";
import { conflict, invalid, notAllowed, notFound } from "../../core/errors.ts";
import {
  activeMembers,
  applyEvent,
  type Changes,
  checkHousehold,
  diff,
  EVENT_LABELS,
  emptyHousehold,
  emptyMember,
  type HouseholdEvent,
  type HouseholdState,
  headOf,
  type MemberState,
  newMemberState,
  normalizeMember,
  type Problem,
  parseEvent,
  replay,
  serializeEvent,
} from "../../core/household.ts";
import { ageOn, maskIdNumber, normalizeIdNumber } from "../../core/id-number.ts";
import {
  COUNT_ALL_TRANSFERS,
  type IncomePolicy,
  netIncome,
  perCapitaIncome,
} from "../../core/income.ts";
import {
  type HouseholdValues,
  householdField,
  type MemberValues,
  memberField,
} from "../../core/registry-fields.ts";
import { HEAD_RELATIONSHIP, labelFor, MEMBER_REMOVAL_REASONS } from "../../core/vocab.ts";
import type { Engine } from "../../db/connect.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { allowedActions, assertCan, inScope, scopeRange } from "../auth/auth.policy.ts";
import type { Actor } from "../auth/auth.schema.ts";
import { bulkWriter } from "./registry.bulk.ts";
import {
  householdColumns,
  householdFromRow,
  householdInsertValues,
  memberFromRow,
  memberInsertValues,
  memberStateColumns,
} from "./registry.mapping.ts";
import { createRegistryRepository, type RegistryRepository } from "./registry.repository.ts";
import type {
  AddMemberInput,
  CreateHouseholdInput,
  HistoryEntry,
  HouseholdDetail,
  HouseholdListItem,
  HouseholdListQuery,
  RemoveMemberInput,
  Source,
  UpdateHouseholdInput,
  UpdateMemberInput,
} from "./registry.schema.ts";

export interface RegistryDeps {
  db: Kysely<DB>;
  engine: Engine;
  now: () => Date;
  /** Which transfers count as income (from the policy in force). */
  incomePolicy?: IncomePolicy;
  /**
   * Called inside the write transaction with the households a change touched, so that
   * derived state (monitoring signals) commits with the change or not at all.
   */
  onChanged?: (trx: Kysely<DB>, households: { id: number; villageCode: string }[]) => Promise<void>;
}

/** Where a change comes from, recorded on its history event. */
export interface ChangeMeta {
  source: Source;
  /** File name, case number, feed batch … */
  sourceRef?: string | null;
  reason?: string | null;
}

export interface ChangeHeadInput {
  version: number;
  /** The member who becomes head. */
  memberId: number;
  /** What the former head becomes relative to the new head (配偶, 之父 …). */
  formerHeadRelationship: string;
  reason?: string;
}

const SENSITIVE_MEMBER = ["idNumber", "phone", "health"] as const;
const MASK = "***";

const scopeOf = (actor: Actor) => (actor.regionCode ? scopeRange(actor.regionCode) : null);

function invalidFrom(problems: Problem[], prefix = ""): never {
  const first = problems[0]!;
  throw invalid(prefix + first.message, {
    field: first.field,
    code: first.code,
    detail: { problems: problems.map((p) => ({ ...p })) },
  });
}

/** Problems in `after` that `before` did not already have: an edit must not make things worse. */
function newProblems(before: Problem[], after: Problem[]): Problem[] {
  const known = new Set(before.map((p) => `${p.code}|${p.field}`));
  return after.filter((p) => !known.has(`${p.code}|${p.field}`));
}

export interface MergeOptions {
  dryRun?: boolean;
  /** `household` (default): a household with a problem is rejected alone; `all`: the whole input. */
  atomic?: "household" | "all";
  onProgress?: (done: number, total: number) => void;
  /**
   * The caller has checked every input with `checkHousehold`, as given and as of today (the
   * national import does, on the file's values): a new household is not checked again.
   */
  checked?: boolean;
  /**
   * More for the `household.import` audit entry, which the import history lists (the file's
   * format, households refused by the caller's checks, problems found).
   */
  auditDetail?: Record<string, unknown>;
}

export interface MergeOutcome {
  /** Position of the household in the input. */
  index: number;
  householdNumber: string;
  outcome: "created" | "updated" | "unchanged" | "rejected";
  /** Fields are relative to the input: `members[2].idNumber` is the input's third member. */
  problems: Problem[];
  members: { created: number; updated: number; unchanged: number };
  /** Members the registry has that the input lacks (reported, not removed). */
  missingMembers: { name: string; idNumber: string }[];
}

export interface MergeReport {
  households: { created: number; updated: number; unchanged: number; rejected: number };
  members: { created: number; updated: number; unchanged: number; rejected: number };
  /** False for dry runs and for `atomic: "all"` inputs with a rejection. */
  committed: boolean;
  outcomes: MergeOutcome[];
}

/** A merge fed in batches (see `mergeSession`). */
export interface MergeSession {
  add(
    inputs: readonly CreateHouseholdInput[],
    options?: { dryRun?: boolean; total?: number },
  ): Promise<MergeOutcome[]>;
  reject(): void;
  /** Commits the merge; `auditDetail` adds to (and overrides) the options' for the audit entry. */
  finish(auditDetail?: Record<string, unknown>): Promise<MergeReport>;
}

function emptyReport(): MergeReport {
  return {
    households: { created: 0, updated: 0, unchanged: 0, rejected: 0 },
    members: { created: 0, updated: 0, unchanged: 0, rejected: 0 },
    committed: false,
    outcomes: [],
  };
}

/** The stored creation event of a new household whose members got `memberIds`. */
function createdEventData(s: HouseholdState, memberIds: readonly number[]): string {
  s.members.forEach((m, k) => {
    m.id = memberIds[k]!;
  });
  return serializeEvent({ kind: "household.created", household: s.household, members: s.members });
}

/** The state a creation input describes (members normalised, ids not yet known). */
function stateFrom(input: CreateHouseholdInput): HouseholdState {
  const household = {
    ...emptyHousehold(),
    extra: null,
    ...input.household,
  } as HouseholdState["household"];
  const members: MemberState[] = input.members.map((m, position) =>
    newMemberState(m as Partial<MemberValues>, position),
  );
  return { household, members };
}

/**
 * Events that turn a stored household into what the input says, for the fields the input
 * carries. Members are matched by ID number; `inputIndexOf[k]` is the input position of the
 * k-th member of the resulting state.
 */
function mergeEvents(before: HouseholdState, input: CreateHouseholdInput, desired: HouseholdState) {
  const events: HouseholdEvent[] = [];
  const { householdNumber: _no, ...householdFields } = input.household;
  const changes = diff(before.household, householdFields as Record<string, unknown>);
  if (Object.keys(changes).length > 0) events.push({ kind: "household.updated", changes });
  const inputIndexOf: number[] = before.members.map(() => -1);
  const matched = new Set<number>();
  let position = Math.max(-1, ...before.members.map((m) => m.position));
  input.members.forEach((raw, k) => {
    const values = normalizeMember(raw as Partial<MemberValues>);
    const at = before.members.findIndex(
      (m) => m.status === "active" && m.idNumber === values.idNumber,
    );
    if (at >= 0) {
      const m = before.members[at]!;
      matched.add(m.id);
      inputIndexOf[at] = k;
      const memberChanges = diff(m as unknown as Record<string, unknown>, values);
      if (Object.keys(memberChanges).length > 0)
        events.push({ kind: "member.updated", memberId: m.id, changes: memberChanges });
    } else {
      inputIndexOf.push(k);
      events.push({
        kind: "member.added",
        member: { ...desired.members[k]!, position: ++position },
      });
    }
  });
  const missing = before.members.filter((m) => m.status === "active" && !matched.has(m.id));
  return { events, inputIndexOf, missing };
}

export function createRegistryService(deps: RegistryDeps) {
  const { db, now } = deps;
  const incomePolicy = deps.incomePolicy ?? COUNT_ALL_TRANSFERS;
  const today = () => chinaDate(now());

  /** The household row within the actor's scope, or not_found (outside scope looks missing). */
  async function findRow(repo: RegistryRepository, actor: Actor, householdNumber: string) {
    const row = await repo.findHousehold(householdNumber, scopeOf(actor));
    if (!row)
      throw notFound(`户编号 ${householdNumber} 不存在或不在您的管辖范围内`, {
        code: "household_not_found",
      });
    return row;
  }

  async function loadState(
    repo: RegistryRepository,
    householdId: number,
    row: Record<string, unknown>,
  ): Promise<HouseholdState> {
    const members = await repo.members(householdId);
    return {
      household: householdFromRow(row),
      members: members.map((m) => memberFromRow(m as unknown as Record<string, unknown>)),
    };
  }

  function mask(m: MemberState): MemberState {
    const out: Record<string, unknown> = { ...m };
    for (const key of SENSITIVE_MEMBER) {
      const v = out[key];
      if (v === null || v === undefined) continue;
      out[key] = key === "idNumber" ? maskIdNumber(String(v)) : MASK;
    }
    return out as unknown as MemberState;
  }

  function present(
    actor: Actor,
    row: {
      village_name: string | null;
      town_code: string | null;
      town_name: string | null;
      version: number;
      created_at: string;
      updated_at: string;
      village_code: string;
    },
    state: HouseholdState,
    options: { unmasked: boolean; asOf: string | null; version?: number },
  ): HouseholdDetail {
    const day = options.asOf ?? today();
    const active = activeMembers(state);
    const householdOut = { ...state.household };
    if (!options.unmasked && householdOut.phone) householdOut.phone = MASK;
    return {
      household: {
        ...householdOut,
        extra: state.household.extra,
        villageName: row.village_name,
        townCode: row.town_code ?? row.village_code.slice(0, 9),
        townName: row.town_name,
        headName: headOf(state)?.name ?? null,
        size: active.length,
        version: options.version ?? row.version,
        createdAt: row.created_at,
        updatedAt: options.asOf ? null : row.updated_at,
      },
      members: state.members.map((m) => ({
        ...(options.unmasked ? m : mask(m)),
        age: m.birthDate ? ageOn(m.birthDate, day) : null,
      })),
      computed: {
        netIncome: netIncome(state.household, incomePolicy),
        perCapitaIncome: perCapitaIncome(state.household, active.length, incomePolicy),
      },
      masked: !options.unmasked,
      asOf: options.asOf,
      can: options.asOf
        ? allowedActions(actor).filter((a) => a.endsWith(".read") || a === "household.unmask")
        : allowedActions(actor),
    };
  }

  /** Refuses ID numbers already held by a living member of another household. */
  async function assertIdsFree(
    repo: RegistryRepository,
    idNumbers: string[],
    exceptHousehold?: string,
  ) {
    const holders = (await repo.holdersOf(idNumbers)).filter(
      (h) => h.household_number !== exceptHousehold,
    );
    if (holders.length > 0) {
      const h = holders[0]!;
      throw conflict(
        `证件号码 ${maskIdNumber(h.id_number)} 已属于户编号 ${h.household_number} 的成员${h.name}，一个证件号码只能属于一户`,
        {
          field: "idNumber",
          code: "id_number_in_other_household",
          detail: { householdNumber: h.household_number },
        },
      );
    }
  }

  async function assertVillage(repo: RegistryRepository, actor: Actor, villageCode: string) {
    if (!inScope(actor, villageCode))
      throw notAllowed(`行政村 ${villageCode} 不在您的管辖范围内`, {
        field: "villageCode",
        code: "village_out_of_scope",
      });
    if (!(await repo.existingVillages([villageCode])).has(villageCode)) {
      throw invalid(`行政村代码 ${villageCode} 不存在`, {
        field: "villageCode",
        code: "village_not_found",
      });
    }
  }

  /**
   * Writes one event (or several, in order) for a household at `version`, after the rows were
   * changed by `writeRows`; refuses with a conflict when someone else changed it first.
   */
  async function commit(
    repo: RegistryRepository,
    trx: Kysely<DB>,
    actor: Actor,
    householdId: number,
    householdNumber: string,
    version: number,
    events: HouseholdEvent[],
    after: HouseholdState,
    meta: ChangeMeta,
  ) {
    const at = now().toISOString();
    const householdPatch = {
      ...householdColumns(after.household),
      head_name: headOf(after)?.name ?? null,
      size: activeMembers(after).length,
      updated_at: at,
    };
    delete (householdPatch as Record<string, unknown>).household_number;
    const moved = await repo.updateHousehold(householdId, version, householdPatch);
    if (!moved) {
      throw conflict("该户信息已被他人修改，请刷新后重新编辑", {
        code: "version_conflict",
        detail: { householdNumber },
      });
    }
    // Several events in one change advance the version once per event.
    if (events.length > 1)
      await repo.updateHousehold(householdId, version + 1, { version: version + events.length });
    await repo.insertEvents(
      events.map((e, i) => ({
        household_id: householdId,
        version: version + 1 + i,
        kind: e.kind,
        at,
        actor_id: actor.id,
        actor_name: actor.displayName || actor.username,
        source: meta.source,
        source_ref: meta.sourceRef ?? null,
        reason: meta.reason ?? null,
        data: serializeEvent(e),
      })),
    );
    await audit(trx, actor, at, events.length === 1 ? events[0]!.kind : "household.update", {
      targetType: "household",
      targetId: householdNumber,
      regionCode: after.household.villageCode ?? undefined,
      detail: { version: version + events.length, source: meta.source },
    });
  }

  /** Inserts new households, their members and household.created events; returns the member count. */
  async function insertNew(
    trx: Kysely<DB>,
    actor: Actor,
    states: HouseholdState[],
    meta: ChangeMeta,
    at: string,
  ): Promise<number> {
    if (states.length === 0) return 0;
    const actorName = actor.displayName || actor.username;
    let memberCount = 0;
    const inserted = await bulkWriter(db, trx, deps.engine).insertHouseholds(
      states.map((s) => {
        memberCount += s.members.length;
        return {
          household: householdInsertValues(
            s.household,
            headOf(s)?.name ?? null,
            s.members.length,
            at,
          ),
          members: s.members.map((m) => memberInsertValues(0, m)),
        };
      }),
      (i, { id, memberIds }) => {
        const s = states[i]!;
        return {
          household_id: id,
          version: 1,
          kind: "household.created",
          at,
          actor_id: actor.id,
          actor_name: actorName,
          source: meta.source,
          source_ref: meta.sourceRef ?? null,
          reason: meta.reason ?? null,
          data: createdEventData(s, memberIds),
        };
      },
    );
    await deps.onChanged?.(
      trx,
      inserted.map((r, i) => ({ id: r.id, villageCode: states[i]!.household.villageCode ?? "" })),
    );
    return memberCount;
  }

  /**
   * Stores validated events of one household: inserts added members (their ids go into the
   * events), updates changed member rows and the household row (version-checked), writes the
   * events. Returns the state after them.
   */
  async function persist(
    repo: RegistryRepository,
    trx: Kysely<DB>,
    actor: Actor,
    row: { id: number; household_number: string; version: number },
    before: HouseholdState,
    events: HouseholdEvent[],
    meta: ChangeMeta,
  ): Promise<HouseholdState> {
    for (const e of events) {
      if (e.kind === "member.added") {
        const inserted = await repo.insertMembers([
          { ...memberStateColumns(e.member), household_id: row.id },
        ]);
        e.member.id = inserted[0]!.id;
      }
    }
    const after = events.reduce<HouseholdState>((s, e) => applyEvent(s, e), before);
    const touched = new Set(
      events.flatMap((e) =>
        e.kind === "member.updated" || e.kind === "member.removed" ? [e.memberId] : [],
      ),
    );
    for (const m of after.members)
      if (touched.has(m.id)) await repo.updateMember(m.id, memberStateColumns(m));
    await commit(repo, trx, actor, row.id, row.household_number, row.version, events, after, meta);
    await deps.onChanged?.(trx, [{ id: row.id, villageCode: after.household.villageCode ?? "" }]);
    return after;
  }

  /** Runs a change against the current state inside a transaction and returns the new detail. */
  async function change(
    actor: Actor,
    householdNumber: string,
    version: number,
    meta: ChangeMeta,
    build: (state: HouseholdState, repo: RegistryRepository) => Promise<HouseholdEvent[]>,
  ): Promise<HouseholdDetail> {
    assertCan(actor, "household.update");
    return db
      .transaction()
      .execute((trx) => changeIn(trx, actor, householdNumber, version, meta, build));
  }

  /** `change` inside the caller's transaction; `version: null` takes the current one. */
  async function changeIn(
    trx: Kysely<DB>,
    actor: Actor,
    householdNumber: string,
    version: number | null,
    meta: ChangeMeta,
    build: (state: HouseholdState, repo: RegistryRepository) => Promise<HouseholdEvent[]>,
  ): Promise<HouseholdDetail> {
    const repo = createRegistryRepository(trx);
    const row = await findRow(repo, actor, householdNumber);
    if (version !== null && row.version !== version) {
      throw conflict(
        `该户信息已被他人修改（当前版本 ${row.version}，您编辑的是版本 ${version}），请刷新后重新编辑`,
        {
          code: "version_conflict",
          detail: { currentVersion: row.version, yourVersion: version },
        },
      );
    }
    const before = await loadState(repo, row.id, row);
    const events = await build(before, repo);
    if (events.length === 0) return present(actor, row, before, { unmasked: false, asOf: null });
    let after = before;
    for (const e of events) after = applyEvent(after, e);
    const problems = newProblems(checkHousehold(before, today()), checkHousehold(after, today()));
    if (problems.length > 0) invalidFrom(problems);
    after = await persist(repo, trx, actor, row, before, events, meta);
    const fresh = await repo.findHousehold(householdNumber, null);
    return present(actor, fresh!, after, { unmasked: false, asOf: null });
  }

  function memberOf(state: HouseholdState, memberId: number): MemberState {
    const m = state.members.find((x) => x.id === memberId);
    if (!m)
      throw notFound(`该户没有编号为 ${memberId} 的成员`, {
        field: "memberId",
        code: "member_not_found",
      });
    if (m.status !== "active")
      throw invalid(`${m.name}已减员，不能再修改`, { field: "memberId", code: "member_removed" });
    return m;
  }

  /** Households looked up, checked and written per step of a merge (bounded memory). */
  const MERGE_CHUNK = 1000;

  /** The ID number a member input is matched by, normalised as `normalizeMember` does. */
  function inputIdNumber(raw: unknown): unknown {
    if (typeof raw !== "string") return raw;
    return raw.trim() === "" ? null : normalizeIdNumber(raw);
  }

  /**
   * A merge inside `trx`, fed in batches (`add`), closed by `finish` (the audit entry, and with
   * `atomic: "all"` the undoing of every write when anything was rejected). Problems visible
   * from a batch alone (numbers or ID numbers twice, villages out of scope) are found first
   * over the batch; then its households are looked up, checked and written chunk by chunk, so
   * memory holds one chunk's states at a time. A household number given again in a later batch
   * is rejected there (the earlier one stands).
   */
  function session(
    trx: Kysely<DB>,
    actor: Actor,
    meta: ChangeMeta,
    options: MergeOptions,
  ): MergeSession {
    const day = today();
    const at = now().toISOString();
    const report = emptyReport();
    const atomicAll = options.atomic === "all";
    const write = !options.dryRun;
    const repo = createRegistryRepository(trx);
    /** Numbers of the households of earlier batches. */
    const earlier = new Set<string>();
    let rejected = false;
    let begun = false;
    let done = 0;

    async function add(
      inputs: readonly CreateHouseholdInput[],
      addOptions: { dryRun?: boolean; total?: number } = {},
    ): Promise<MergeOutcome[]> {
      if (write && atomicAll && !begun) {
        await sql`savepoint fangpin_merge`.execute(trx);
        begun = true;
      }
      const check = addOptions.dryRun === true;
      const outcomes: MergeOutcome[] = inputs.map((input, index) => ({
        index,
        householdNumber: String(input.household.householdNumber ?? ""),
        outcome: "unchanged",
        problems: [],
        members: { created: 0, updated: 0, unchanged: 0 },
        missingMembers: [],
      }));
      const reject = (i: number, problem: Problem) => outcomes[i]!.problems.push(problem);

      // Problems visible from the input alone.
      const firstOfNumber = new Map<string, number>();
      const firstOfId = new Map<unknown, number>();
      /** Household numbers given more than once (looked up before anything is written). */
      const repeated = new Set<string>();
      const villageCodes = new Set<string>();
      inputs.forEach((input, i) => {
        const h = input.household;
        const no = h.householdNumber;
        if (no) {
          const j = firstOfNumber.get(no);
          if (j !== undefined) {
            repeated.add(no);
            reject(i, {
              code: "household_number_duplicate",
              field: "householdNumber",
              message: `户编号 ${no} 在文件中出现了两次（与第 ${j + 1} 户）`,
            });
          } else {
            firstOfNumber.set(no, i);
            if (earlier.has(no))
              reject(i, {
                code: "household_number_duplicate",
                field: "householdNumber",
                message: `户编号 ${no} 在文件中出现了两次`,
              });
          }
        }
        if (h.villageCode) villageCodes.add(h.villageCode);
        if (h.villageCode && !inScope(actor, h.villageCode)) {
          reject(i, {
            code: "village_out_of_scope",
            field: "villageCode",
            message: `行政村 ${h.villageCode} 不在您的管辖范围内`,
          });
        }
        input.members.forEach((m, k) => {
          const id = inputIdNumber((m as { idNumber?: unknown }).idNumber);
          if (!id) return;
          const j = firstOfId.get(id);
          if (j !== undefined && j !== i) {
            const message = `证件号码 ${maskIdNumber(String(id))} 同时出现在户编号 ${inputs[j]!.household.householdNumber} 和 ${no}`;
            reject(i, {
              code: "id_number_in_two_households",
              field: `members[${k}].idNumber`,
              message,
            });
            const first = inputs[j]!.members.findIndex(
              (x) => inputIdNumber((x as { idNumber?: unknown }).idNumber) === id,
            );
            reject(j, {
              code: "id_number_in_two_households",
              field: `members[${first}].idNumber`,
              message,
            });
          } else firstOfId.set(id, i);
        });
      });
      firstOfId.clear();

      const villages = await repo.existingVillages([...villageCodes]);
      type StoredRow = Awaited<ReturnType<RegistryRepository["householdsByNumber"]>>[number];
      /** Stored households (and members) under the numbers given twice, as they were before. */
      const repeatedRows = new Map<string, { row: StoredRow; members: MemberState[] }>();
      if (repeated.size > 0) {
        const rows = await repo.householdsByNumber([...repeated]);
        const members = await repo.membersOf(rows.map((r) => r.id));
        for (const r of rows)
          repeatedRows.set(r.household_number, {
            row: r,
            members: members
              .filter((m) => m.household_id === r.id)
              .map((m) => memberFromRow(m as unknown as Record<string, unknown>)),
          });
      }

      if (!check && outcomes.some((o) => o.problems.length > 0)) rejected = true;
      const writing = write && !check;
      for (let start = 0; start < inputs.length; start += MERGE_CHUNK) {
        const end = Math.min(inputs.length, start + MERGE_CHUNK);
        const desired: HouseholdState[] = [];
        const numbers: string[] = [];
        const ids = new Set<string>();
        for (let i = start; i < end; i++) {
          const state = stateFrom(inputs[i]!);
          desired.push(state);
          const no = state.household.householdNumber;
          if (no && !repeated.has(no)) numbers.push(no);
          for (const m of state.members) if (m.idNumber) ids.add(m.idNumber);
        }
        const rows = new Map(
          (await repo.householdsByNumber(numbers)).map((r) => [r.household_number, r]),
        );
        const stored = new Map<number, MemberState[]>();
        for (const m of await repo.membersOf([...rows.values()].map((r) => r.id))) {
          let list = stored.get(m.household_id);
          if (!list) {
            list = [];
            stored.set(m.household_id, list);
          }
          list.push(memberFromRow(m as unknown as Record<string, unknown>));
        }
        const holders = new Map((await repo.holdersOf([...ids])).map((h) => [h.id_number, h]));

        const created: HouseholdState[] = [];
        const updates: { row: StoredRow; before: HouseholdState; events: HouseholdEvent[] }[] = [];
        for (let i = start; i < end; i++) {
          const state = desired[i - start]!;
          const out = outcomes[i]!;
          const no = state.household.householdNumber ?? "";
          const again = repeated.has(no) ? repeatedRows.get(no) : undefined;
          const row = repeated.has(no) ? again?.row : rows.get(no);
          if (row && !inScope(actor, row.village_code)) {
            reject(i, {
              code: "household_out_of_scope",
              field: "householdNumber",
              message: `户编号 ${no} 已登记在您管辖范围以外的村`,
            });
          }
          if (state.household.villageCode && !villages.has(state.household.villageCode)) {
            reject(i, {
              code: "village_not_found",
              field: "villageCode",
              message: `行政村代码 ${state.household.villageCode} 不存在`,
            });
          }
          state.members.forEach((m, k) => {
            const holder = m.idNumber ? holders.get(m.idNumber) : undefined;
            if (holder && holder.household_number !== no) {
              reject(i, {
                code: "id_number_in_other_household",
                field: `members[${k}].idNumber`,
                message: `证件号码 ${maskIdNumber(m.idNumber!)} 已属于户编号 ${holder.household_number} 的成员${holder.name}`,
              });
            }
          });
          if (!row) {
            if (!options.checked) for (const p of checkHousehold(state, day)) reject(i, p);
            if (out.problems.length === 0) {
              out.outcome = "created";
              out.members.created = state.members.length;
              created.push(state);
            }
            continue;
          }
          const before: HouseholdState = {
            household: householdFromRow(row),
            members: again ? again.members : (stored.get(row.id) ?? []),
          };
          const { events, inputIndexOf, missing } = mergeEvents(before, inputs[i]!, state);
          out.missingMembers = missing.map((m) => ({
            name: m.name ?? "",
            idNumber: maskIdNumber(m.idNumber ?? ""),
          }));
          if (events.length > 0) {
            const after = events.reduce<HouseholdState>((s, e) => applyEvent(s, e), before);
            const added = newProblems(checkHousehold(before, day), checkHousehold(after, day));
            for (const p of added)
              reject(i, {
                ...p,
                field: p.field.replace(
                  /^members\[(\d+)\]/,
                  (_, k) => `members[${inputIndexOf[Number(k)] ?? k}]`,
                ),
              });
          }
          if (out.problems.length > 0) continue;
          for (const e of events) {
            if (e.kind === "member.added") out.members.created++;
            if (e.kind === "member.updated") out.members.updated++;
          }
          out.members.unchanged = state.members.length - out.members.created - out.members.updated;
          if (events.length === 0) continue;
          out.outcome = "updated";
          updates.push({ row, before, events });
        }
        if (!check)
          for (let i = start; i < end; i++) if (outcomes[i]!.problems.length > 0) rejected = true;

        // With `atomic: "all"`, nothing more is written once anything is rejected (and what was
        // written is undone by `finish`).
        if (writing && !(atomicAll && rejected)) {
          await insertNew(trx, actor, created, meta, at);
          for (const u of updates) await persist(repo, trx, actor, u.row, u.before, u.events, meta);
        }
        if (!check) options.onProgress?.(done + end, addOptions.total ?? done + inputs.length);
      }

      for (const out of outcomes) if (out.problems.length > 0) out.outcome = "rejected";
      if (check) return outcomes;
      done += inputs.length;
      for (const out of outcomes) {
        if (out.householdNumber) earlier.add(out.householdNumber);
        report.households[out.outcome]++;
        if (out.outcome === "rejected")
          report.members.rejected += inputs[out.index]!.members.length;
        else {
          report.members.created += out.members.created;
          report.members.updated += out.members.updated;
          report.members.unchanged += out.members.unchanged;
        }
      }
      return outcomes;
    }

    return {
      add,
      reject() {
        rejected = true;
      },
      async finish(auditDetail?: Record<string, unknown>): Promise<MergeReport> {
        if (!write) return report;
        if (begun) {
          if (rejected) {
            await sql`rollback to savepoint fangpin_merge`.execute(trx);
            await sql`release savepoint fangpin_merge`.execute(trx);
            return report;
          }
          await sql`release savepoint fangpin_merge`.execute(trx);
        } else if (atomicAll && rejected) return report;
        // Region: the importer's, so that the import history (exchange) lists it in scope.
        await audit(trx, actor, at, "household.import", {
          targetType: "household",
          targetId: meta.sourceRef ?? undefined,
          ...(actor.regionCode ? { regionCode: actor.regionCode } : {}),
          detail: {
            ...report.households,
            members: report.members,
            source: meta.source,
            ...options.auditDetail,
            ...auditDetail,
          },
        });
        report.committed = true;
        return report;
      },
    };
  }

  /** The whole merge of `inputs` inside `trx`: one batch of a session. */
  async function mergeIn(
    trx: Kysely<DB>,
    actor: Actor,
    inputs: readonly CreateHouseholdInput[],
    meta: ChangeMeta,
    options: MergeOptions,
  ): Promise<MergeReport> {
    const s = session(trx, actor, meta, options);
    const outcomes = await s.add(inputs);
    const report = await s.finish();
    report.outcomes = outcomes;
    return report;
  }

  return {
    async list(
      actor: Actor,
      query: HouseholdListQuery,
    ): Promise<{ items: HouseholdListItem[]; next: string | null }> {
      assertCan(actor, "household.read");
      const regionCode = query.region ?? query.village;
      let idNumber = query.idNumber ? normalizeIdNumber(query.idNumber) : undefined;
      let q = query.q;
      if (q && /^\d{17}[\dXx]$|^\d{17}[\dXx]\d[1-4]/.test(q.trim())) {
        idNumber = normalizeIdNumber(q);
        q = undefined;
      }
      const afterId = query.after !== undefined ? Number.parseInt(query.after, 36) : undefined;
      if (afterId !== undefined && !Number.isSafeInteger(afterId))
        throw invalid("翻页游标 after 无效", { field: "after", code: "cursor_invalid" });
      const rows = await createRegistryRepository(db).list(
        {
          region: regionCode ? scopeRange(regionCode) : undefined,
          q: q || undefined,
          idNumber,
          householdType: query.householdType,
          monitoringCategory: query.monitoringCategory,
          monitored: query.monitored === undefined ? undefined : query.monitored === "true",
          afterId,
          limit: query.limit + 1,
        },
        scopeOf(actor),
      );
      const page = rows.slice(0, query.limit);
      return {
        items: page.map((r) => ({
          householdNumber: r.household_number,
          villageCode: r.village_code,
          villageName: r.village_name,
          townCode: r.town_code ?? r.village_code.slice(0, 9),
          townName: r.town_name,
          groupName: r.group_name,
          headName: r.head_name,
          size: Number(r.size),
          householdType: r.household_type,
          monitoringCategory: r.monitoring_category,
          riskEliminated: r.risk_eliminated === null ? null : Number(r.risk_eliminated) === 1,
          perCapitaIncome: r.per_capita_income === null ? null : Number(r.per_capita_income),
          version: Number(r.version),
          updatedAt: r.updated_at,
        })),
        next: rows.length > query.limit ? Number(page[page.length - 1]!.id).toString(36) : null,
      };
    },

    /** One household with its members; masked unless `unmask` (audited); as of a day when `asOf`. */
    async get(
      actor: Actor,
      householdNumber: string,
      options: { unmask?: boolean; asOf?: string } = {},
    ): Promise<HouseholdDetail> {
      assertCan(actor, "household.read");
      const repo = createRegistryRepository(db);
      const row = await findRow(repo, actor, householdNumber);
      if (options.unmask) {
        assertCan(actor, "household.unmask");
        await audit(db, actor, now().toISOString(), "household.unmask", {
          targetType: "household",
          targetId: householdNumber,
          regionCode: row.village_code,
        });
      }
      if (options.asOf) {
        const events = await repo.events(row.id, endOfChinaDay(options.asOf));
        const state = replay(events.map((e) => parseEvent(e.data)));
        if (!state)
          throw notFound(`户编号 ${householdNumber} 在 ${options.asOf} 尚未建档`, {
            code: "household_not_yet_created",
          });
        return present(actor, row, state, {
          unmasked: options.unmask ?? false,
          asOf: options.asOf,
          version: events.at(-1)!.version,
        });
      }
      return present(actor, row, await loadState(repo, row.id, row), {
        unmasked: options.unmask ?? false,
        asOf: null,
      });
    },

    /** The household's events, newest first, with field labels and member names. */
    async history(
      actor: Actor,
      householdNumber: string,
      options: { unmask?: boolean } = {},
    ): Promise<HistoryEntry[]> {
      assertCan(actor, "household.read");
      const repo = createRegistryRepository(db);
      const row = await findRow(repo, actor, householdNumber);
      if (options.unmask) {
        assertCan(actor, "household.unmask");
        await audit(db, actor, now().toISOString(), "household.unmask", {
          targetType: "household",
          targetId: householdNumber,
          regionCode: row.village_code,
          detail: { view: "history" },
        });
      }
      const events = await repo.events(row.id);
      const parsed = events.map((e) => parseEvent(e.data));
      const names = new Map<number, string>();
      for (const s of [replay(parsed)])
        for (const m of s?.members ?? []) names.set(m.id, m.name ?? "");
      const show = (field: string, value: unknown, isMember: boolean) => {
        if (options.unmask || value === null || value === undefined) return value ?? null;
        if (!isMember && field === "phone") return MASK;
        if (isMember && (SENSITIVE_MEMBER as readonly string[]).includes(field))
          return field === "idNumber" ? maskIdNumber(String(value)) : MASK;
        return value;
      };
      const changeList = (changes: Changes, memberId: number | null) =>
        Object.entries(changes).map(([field, [old, value]]) => ({
          field,
          label: (memberId === null ? householdField : memberField).get(field)?.zh ?? field,
          memberId,
          memberName: memberId === null ? null : (names.get(memberId) ?? null),
          old: show(field, old, memberId !== null),
          new: show(field, value, memberId !== null),
        }));
      return events
        .map((e, i) => {
          const ev = parsed[i]!;
          let changes: HistoryEntry["changes"] = [];
          let label: string = EVENT_LABELS[ev.kind];
          if (ev.kind === "household.created")
            label = `建档（${ev.members.filter((m) => m.status === "active").length} 人）`;
          if (ev.kind === "household.updated") changes = changeList(ev.changes, null);
          if (ev.kind === "member.updated") changes = changeList(ev.changes, ev.memberId);
          if (ev.kind === "member.added") {
            label = `新增成员：${ev.member.name}`;
            changes = changeList(
              {
                name: [null, ev.member.name],
                idNumber: [null, ev.member.idNumber],
                relationship: [null, ev.member.relationship],
              },
              ev.member.id,
            );
          }
          if (ev.kind === "member.removed") {
            label = `减少成员：${names.get(ev.memberId) ?? ""}（${labelFor(MEMBER_REMOVAL_REASONS, ev.reason)}）`;
          }
          return {
            version: e.version,
            kind: ev.kind,
            label,
            at: e.at,
            actor: e.actor_name,
            source: e.source,
            sourceRef: e.source_ref,
            reason: e.reason,
            changes,
          };
        })
        .reverse();
    },

    /** Creates one household with its members (event household.created). */
    async create(
      actor: Actor,
      input: CreateHouseholdInput,
      meta: ChangeMeta,
    ): Promise<HouseholdDetail> {
      await this.bulkCreate(actor, [input], meta);
      return this.get(actor, input.household.householdNumber ?? "");
    },

    /**
     * Creates many households in one transaction (demo load): all or none. Each gets its
     * household.created event; one audit entry covers the batch.
     */
    async bulkCreate(
      actor: Actor,
      inputs: readonly CreateHouseholdInput[],
      meta: ChangeMeta,
    ): Promise<{ created: number; members: number }> {
      assertCan(actor, "household.create");
      const day = today();
      const numbers = new Set<string>();
      const ids = new Map<string, string>();
      const states = inputs.map((input, index) => {
        const where = inputs.length > 1 ? `第 ${index + 1} 户：` : "";
        const state = stateFrom(input);
        const problems = checkHousehold(state, day);
        if (problems.length > 0) invalidFrom(problems, where);
        const no = state.household.householdNumber!;
        if (numbers.has(no)) {
          throw invalid(`${where}户编号 ${no} 重复`, {
            field: "householdNumber",
            code: "household_number_duplicate",
          });
        }
        numbers.add(no);
        if (!inScope(actor, state.household.villageCode!)) {
          throw notAllowed(`${where}行政村 ${state.household.villageCode} 不在您的管辖范围内`, {
            field: "villageCode",
            code: "village_out_of_scope",
          });
        }
        for (const m of state.members) {
          const other = ids.get(m.idNumber!);
          if (other) {
            throw invalid(
              `${where}证件号码 ${maskIdNumber(m.idNumber!)} 同时出现在户编号 ${other} 和 ${no}`,
              {
                field: "idNumber",
                code: "id_number_in_two_households",
              },
            );
          }
          ids.set(m.idNumber!, no);
        }
        return state;
      });
      const at = now().toISOString();
      let memberCount = 0;
      await db.transaction().execute(async (trx) => {
        const repo = createRegistryRepository(trx);
        const villages = [...new Set(states.map((s) => s.household.villageCode!))];
        const known = await repo.existingVillages(villages);
        const unknown = villages.find((v) => !known.has(v));
        if (unknown) {
          throw invalid(`行政村代码 ${unknown} 不存在（请先加载区划）`, {
            field: "villageCode",
            code: "village_not_found",
          });
        }
        const taken = await repo.existingHouseholdNumbers([...numbers]);
        if (taken.length > 0) {
          throw conflict(`户编号 ${taken[0]} 已存在`, {
            field: "householdNumber",
            code: "household_number_taken",
          });
        }
        await assertIdsFree(repo, [...ids.keys()]);
        memberCount = await insertNew(trx, actor, states, meta, at);
        await audit(trx, actor, at, "household.create", {
          targetType: "household",
          targetId:
            states.length === 1
              ? states[0]!.household.householdNumber!
              : `${states.length} households`,
          detail: { count: states.length, source: meta.source, sourceRef: meta.sourceRef ?? null },
        });
      });
      return { created: states.length, members: memberCount };
    },

    /**
     * Brings a set of full households into the registry (national import): new household
     * numbers are created, known ones updated through the same events as a manual edit (only
     * what changed; unchanged households write nothing), members matched by ID number. A member
     * the registry has but the input lacks is reported, never removed. A household with any
     * problem is rejected whole; with `atomic: "all"` one rejection rejects everything. With
     * `dryRun` everything is computed and checked and nothing is written. One transaction.
     */
    merge(
      actor: Actor,
      inputs: readonly CreateHouseholdInput[],
      meta: ChangeMeta,
      options: MergeOptions = {},
    ): Promise<MergeReport> {
      assertCan(actor, "household.create");
      assertCan(actor, "household.update");
      return db.transaction().execute((trx) => mergeIn(trx, actor, inputs, meta, options));
    },

    /**
     * `merge` inside the caller's transaction: the import commits with whatever else the caller
     * writes, or not at all. With `atomic: "all"` a rejection undoes the merge's own writes (a
     * savepoint) and leaves the caller's transaction usable.
     */
    mergeWithin(
      trx: Kysely<DB>,
      actor: Actor,
      inputs: readonly CreateHouseholdInput[],
      meta: ChangeMeta,
      options: MergeOptions = {},
    ): Promise<MergeReport> {
      assertCan(actor, "household.create");
      assertCan(actor, "household.update");
      return mergeIn(trx, actor, inputs, meta, options);
    },

    /**
     * A merge inside the caller's transaction fed batch by batch (an import that reads its file
     * as it merges): `add` merges a batch and returns its outcomes (`dryRun` only checks it, for
     * households refused before the merge), `reject` marks the whole input rejected (with
     * `atomic: "all"` nothing more is written and `finish` undoes the writes), `finish` writes
     * the audit entry and gives the totals (without outcomes).
     */
    mergeSession(
      trx: Kysely<DB>,
      actor: Actor,
      meta: ChangeMeta,
      options: MergeOptions = {},
    ): MergeSession {
      assertCan(actor, "household.create");
      assertCan(actor, "household.update");
      return session(trx, actor, meta, options);
    },
    /** Changes household fields (not the household number; moving villages is a case). */
    update(actor: Actor, householdNumber: string, input: UpdateHouseholdInput, meta: ChangeMeta) {
      return change(
        actor,
        householdNumber,
        input.version,
        { ...meta, reason: input.reason ?? meta.reason },
        async (state, repo) => {
          const {
            householdNumber: newNumber,
            villageCode,
            ...rest
          } = input.changes as Partial<HouseholdValues>;
          if (newNumber !== undefined && newNumber !== state.household.householdNumber) {
            throw invalid("户编号不能修改", {
              field: "householdNumber",
              code: "household_number_immutable",
            });
          }
          if (villageCode !== undefined && villageCode !== state.household.villageCode) {
            if (villageCode === null)
              throw invalid("所属行政村不能为空", {
                field: "villageCode",
                code: "village_missing",
              });
            await assertVillage(repo, actor, villageCode);
          }
          const changes = diff(state.household, {
            ...rest,
            ...(villageCode !== undefined ? { villageCode } : {}),
          });
          return Object.keys(changes).length === 0 ? [] : [{ kind: "household.updated", changes }];
        },
      );
    },

    /**
     * Changes household fields inside the caller's transaction, at the household's current
     * version: a case decision (meta.source "case") commits with the case or not at all. Same
     * events, checks and scope as `update`; the village may change (a transfer).
     */
    updateWithin(
      trx: Kysely<DB>,
      actor: Actor,
      householdNumber: string,
      changes: Partial<HouseholdValues>,
      meta: ChangeMeta,
    ): Promise<HouseholdDetail> {
      assertCan(actor, "household.update");
      return changeIn(trx, actor, householdNumber, null, meta, async (state, repo) => {
        const { householdNumber: _number, villageCode, ...rest } = changes;
        if (villageCode !== undefined && villageCode !== state.household.villageCode) {
          if (villageCode === null)
            throw invalid("所属行政村不能为空", { field: "villageCode", code: "village_missing" });
          await assertVillage(repo, actor, villageCode);
        }
        const diffed = diff(state.household, {
          ...rest,
          ...(villageCode !== undefined ? { villageCode } : {}),
        });
        return Object.keys(diffed).length === 0
          ? []
          : [{ kind: "household.updated", changes: diffed }];
      });
    },

    addMember(actor: Actor, householdNumber: string, input: AddMemberInput, meta: ChangeMeta) {
      return change(
        actor,
        householdNumber,
        input.version,
        { ...meta, reason: input.reason ?? meta.reason },
        async (state, repo) => {
          const values = normalizeMember(input.member as Partial<MemberValues>);
          if (values.idNumber) await assertIdsFree(repo, [values.idNumber]);
          const member: MemberState = {
            ...emptyMember(),
            ...values,
            id: 0,
            position: Math.max(-1, ...state.members.map((m) => m.position)) + 1,
            status: "active",
            removedReason: null,
            removedOn: null,
            extra: null,
          };
          return [{ kind: "member.added", member }];
        },
      );
    },

    updateMember(
      actor: Actor,
      householdNumber: string,
      memberId: number,
      input: UpdateMemberInput,
      meta: ChangeMeta,
    ) {
      return change(
        actor,
        householdNumber,
        input.version,
        { ...meta, reason: input.reason ?? meta.reason },
        async (state, repo) => {
          const member = memberOf(state, memberId);
          const values = normalizeMember(input.changes as Partial<MemberValues>);
          if (values.idNumber && values.idNumber !== member.idNumber)
            await assertIdsFree(repo, [values.idNumber], householdNumber);
          const changes = diff(member as unknown as Record<string, unknown>, values);
          return Object.keys(changes).length === 0
            ? []
            : [{ kind: "member.updated", memberId, changes }];
        },
      );
    },

    /** Makes another member the head; the former head takes the given relationship. */
    changeHead(actor: Actor, householdNumber: string, input: ChangeHeadInput, meta: ChangeMeta) {
      return change(
        actor,
        householdNumber,
        input.version,
        { ...meta, reason: input.reason ?? meta.reason },
        async (state) => {
          const next = memberOf(state, input.memberId);
          const current = headOf(state);
          if (next.relationship === HEAD_RELATIONSHIP) return [];
          const events: HouseholdEvent[] = [];
          if (current) {
            events.push({
              kind: "member.updated",
              memberId: current.id,
              changes: { relationship: [HEAD_RELATIONSHIP, input.formerHeadRelationship] },
            });
          }
          events.push({
            kind: "member.updated",
            memberId: next.id,
            changes: { relationship: [next.relationship, HEAD_RELATIONSHIP] },
          });
          return events;
        },
      );
    },

    removeMember(
      actor: Actor,
      householdNumber: string,
      memberId: number,
      input: RemoveMemberInput,
      meta: ChangeMeta,
    ) {
      return change(
        actor,
        householdNumber,
        input.version,
        { ...meta, reason: input.note ?? meta.reason },
        async (state) => {
          const member = memberOf(state, memberId);
          if (member.relationship === HEAD_RELATIONSHIP && activeMembers(state).length > 1) {
            throw invalid(`${member.name}是户主，请先变更户主再减员`, {
              field: "memberId",
              code: "remove_head",
            });
          }
          return [
            {
              kind: "member.removed",
              memberId,
              reason: input.reason,
              on: input.on ?? today(),
              note: input.note ?? null,
            },
          ];
        },
      );
    },

    /** Recomputes a household's state from its events (used to prove rows are a projection). */
    async replayed(householdNumber: string): Promise<HouseholdState | null> {
      const repo = createRegistryRepository(db);
      const row = await repo.findHousehold(householdNumber, null);
      if (!row) return null;
      return replay((await repo.events(row.id)).map((e) => parseEvent(e.data)));
    },

    /** The stored state (rows) of a household, unscoped; for tests and internal flows. */
    async stored(householdNumber: string): Promise<HouseholdState | null> {
      const repo = createRegistryRepository(db);
      const row = await repo.findHousehold(householdNumber, null);
      return row ? loadState(repo, row.id, row) : null;
    },

    countHouseholds: () => createRegistryRepository(db).countHouseholds(),

    /** The internal id of a household (unscoped; for flows inside the system). */
    async idOf(householdNumber: string): Promise<number | null> {
      const row = await createRegistryRepository(db).findHousehold(householdNumber, null);
      return row ? Number(row.id) : null;
    },
  };
}
export type RegistryService = ReturnType<typeof createRegistryService>;
