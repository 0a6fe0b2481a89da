/**
 * Cases: the procedures by which a household comes under monitoring or leaves it, as tracked,
 * auditable processes. A case follows the workflow of its type in the policy in force when it
 * was opened (kept with the case); each transition is one transaction with its log entry, and
 * the decision changes the household through registry events with source `case`. Notices are
 * posted in batches per village, kept as posted; an objection pauses the case until resolved.
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { z } from "zod";
import { chinaDate } from "../../core/dates.ts";
import {
  AppError,
  conflict,
  invalid,
  notAllowed,
  notFound,
  unexpectedState,
} from "../../core/errors.ts";
import type { HouseholdValues } from "../../core/registry-fields.ts";
import { compileSql } from "../../core/rules/sql.ts";
import {
  ELIMINATION_METHODS,
  labelFor,
  MONITORING_CATEGORIES,
  RISK_FACTORS,
} from "../../core/vocab.ts";
import {
  addDays,
  advance as advanceStep,
  type BuiltinCheck,
  CASE_TYPE_LABELS,
  type CaseStatus,
  type CaseType,
  caseDeadline,
  close as closeCase,
  type GuardDef,
  type GuardResult,
  guardsFor,
  isOverdue,
  mayAct,
  type NoticePeriod,
  noticePeriod,
  type Progress,
  pause,
  reasonsOf,
  resolveDays,
  resume,
  sendBack as sendBackStep,
  stateName,
  stepId,
  stepName,
  stepStates,
  type WorkflowDef,
} from "../../core/workflow.ts";
import type { Engine } from "../../db/connect.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { type Actor, assertCan, can, inScope, scopeRange } from "../auth/index.ts";
import type { MonitoringService, SignalsService } from "../monitoring/index.ts";
import { type CompiledPolicy, compileGuard, type PolicyService } from "../policy/index.ts";
import type { RegistryService } from "../registry/index.ts";
import { type CaseRow, type CasesRepository, createCasesRepository } from "./cases.repository.ts";
import {
  type AdvanceInput,
  type CaseDetail,
  type CaseListItem,
  type CaseListQuery,
  closeInput,
  DEREGISTRATION_LABELS,
  LEAD_SOURCE_LABELS,
  type NoticeBatchInput,
  type NoticeBatchView,
  type ObjectionStatusView,
  type OpenCaseInput,
  objectionInput,
  openCaseInput,
  receiptNumber,
  resolveObjectionInput,
  type StepData,
  sendBackInput,
} from "./cases.schema.ts";
import { attachmentKey, checkAttachment, type FileStore } from "./file-store.ts";

export interface CasesDeps {
  db: Kysely<DB>;
  engine: Engine;
  now: () => Date;
  policies: PolicyService;
  registry: RegistryService;
  monitoring: MonitoringService;
  signals: SignalsService;
  files: FileStore;
}

/** Who lodges objections on the public page (no account). */
const PUBLIC_ACTOR = (villageCode: string): Actor => ({
  id: null,
  username: "public",
  displayName: "公众",
  role: "viewer",
  regionCode: villageCode,
});

/** Log actions that move a case to another step (a posting belongs to the stay they follow). */
const MOVES = new Set(["opened", "completed", "sent_back"]);
const OPEN_STATUSES = ["active", "paused"] as const;
const CLOSED_STATUSES = ["completed", "rejected", "withdrawn"] as const;

/** Parses input with a zod schema; the first problem becomes an invalid_data error naming the field. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.join(".");
  throw invalid(`${field ? `${field}：` : ""}${issue.message}`, {
    field: field || undefined,
    code: "request_invalid",
  });
}

/** Replaces `{name}` in a guard's message by the policy parameter of that name. */
function renderMessage(message: string, params: Record<string, unknown>): string {
  return message.replace(/\{(\w+)\}/g, (whole, name: string) =>
    params[name] === undefined ? whole : String(params[name]),
  );
}

const json = <T>(text: string | null, fallback: T): T =>
  text ? (JSON.parse(text) as T) : fallback;

const refused = (message: string, reasons: string[], extra: Record<string, unknown> = {}) =>
  new AppError("unexpected_state", message, {
    code: "case_refused",
    detail: { reasons, ...extra },
  });

export function createCasesService(deps: CasesDeps) {
  const { db, engine, now, policies, registry, monitoring, signals, files } = deps;
  const today = () => chinaDate(now());
  const policyFor = (villageCode: string): CompiledPolicy =>
    policies.forRegion(villageCode, Number(today().slice(0, 4)));
  const rangeOf = (actor: Actor, region?: string): [string, string] => {
    if (region && !inScope(actor, region)) return ["0", "0"];
    const root = region ?? actor.regionCode;
    return root ? scopeRange(root) : ["", "\uffff"];
  };
  const scopeOf = (actor: Actor) => (actor.regionCode ? scopeRange(actor.regionCode) : null);
  const workflowOf = (row: { workflow: string }) => JSON.parse(row.workflow) as WorkflowDef;
  const progressOf = (row: { status: string; step: number }): Progress => ({
    status: row.status as CaseStatus,
    step: Number(row.step),
  });

  // ── guards ────────────────────────────────────────────────────────────────────────────
  const sqlCache = new Map<string, string>();
  function guardSql(guard: GuardDef, policy: CompiledPolicy, day: string): string {
    const key = `${policy.id}|${day}|${guard.when}`;
    let hit = sqlCache.get(key);
    if (!hit) {
      const checked = compileGuard(guard.when, policy.parameters);
      hit = compileSql(checked, { engine, params: policy.parameters, today: day, h: "h" });
      if (sqlCache.size > 500) sqlCache.clear();
      sqlCache.set(key, hit);
    }
    return hit;
  }

  /** Evaluates guards over the household in the database (the sweeps' semantics). */
  async function evaluateGuards(
    repo: CasesRepository,
    householdId: number,
    guards: readonly GuardDef[],
    policy: CompiledPolicy,
  ): Promise<GuardResult[]> {
    const day = today();
    const values = await repo.evaluate(
      householdId,
      guards.map((g) => guardSql(g, policy, day)),
    );
    return guards.map((g, i) => ({
      id: g.id,
      ok: values[i] === null ? null : values[i] === 1,
      message: renderMessage(g.message, policy.parameters),
    }));
  }

  /**
   * The built-in checks a workflow names. Read before any transaction (they read through other
   * services, which use their own connection).
   */
  async function builtinChecks(
    checks: readonly BuiltinCheck[],
    household: { id: number; villageCode: string; householdType: string | null },
    category: string | null,
  ): Promise<GuardResult[]> {
    const out: GuardResult[] = [];
    for (const check of checks) {
      if (check === "no_open_risk_signal") {
        const policy = policyFor(household.villageCode);
        const risky = new Set(policy.compiled.filter((c) => c.rule.verify).map((c) => c.rule.id));
        const open = (await monitoring.openSignals(household.id, household.villageCode)).filter(
          (s) => risky.has(s.rule),
        );
        out.push({
          id: check,
          ok: open.length === 0,
          message: `仍有未消除的风险预警：${open.map((s) => s.name).join("、")}`,
        });
      }
      if (check === "category_fits_household") {
        const formerlyPoor = household.householdType === "formerly_poor";
        const ok =
          category === "unstable"
            ? formerlyPoor
            : category === "marginal"
              ? !formerlyPoor
              : category === "sudden_hardship";
        out.push({
          id: check,
          ok,
          message:
            category === "unstable"
              ? "脱贫不稳定户只能从脱贫户中识别"
              : "脱贫户应识别为脱贫不稳定户或突发严重困难户",
        });
      }
    }
    return out;
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────
  async function findRow(actor: Actor, number: string): Promise<CaseRow> {
    assertCan(actor, "case.read");
    const row = await createCasesRepository(db).findCase(number, scopeOf(actor));
    if (!row)
      throw notFound(`案件 ${number} 不存在或不在您的管辖范围内`, { code: "case_not_found" });
    return row;
  }

  /** The notice posted during the case's stay at its current step, if any. */
  function currentPosting(
    log: readonly { id: number; action: string; data: string | null }[],
  ): (NoticePeriod & { batch: number }) | null {
    let moved = -1;
    log.forEach((e, i) => {
      if (MOVES.has(e.action)) moved = i;
    });
    const posted = log.slice(moved + 1).findLast((e) => e.action === "posted");
    return posted ? json(posted.data, null) : null;
  }

  /** The day a step is due: its days (not a notice's period) from the case's arrival at it. */
  function dueOn(
    step: WorkflowDef["steps"][number],
    log: readonly { action: string; at: string }[],
    villageCode: string,
  ): string | null {
    if (step.days === undefined || step.kind === "notice") return null;
    const arrival = log.findLast((e) => MOVES.has(e.action));
    if (!arrival) return null;
    const days = resolveDays(step.days, policyFor(villageCode).deadlines);
    return addDays(chinaDate(new Date(arrival.at)), days);
  }

  /**
   * The current steps a list asks for: those named, and with `mine` those the actor's role
   * completes in the workflows in force for the actor's region.
   */
  function stepFilter(actor: Actor, q: CaseListQuery): string[] | undefined {
    let steps = q.step?.split(",");
    if (q.mine === "true") {
      const policy = policyFor(actor.regionCode ?? "");
      const mine = new Set(
        Object.values(policy.workflows).flatMap((w) =>
          (w?.steps ?? []).filter((s) => mayAct(s, actor.role)).map(stepId),
        ),
      );
      steps = (steps ?? [...mine]).filter((s) => mine.has(s));
      if (steps.length === 0) steps = ["-"];
    }
    return steps;
  }

  function listItem(row: CaseRow, day: string): CaseListItem {
    const def = workflowOf(row);
    const progress = progressOf(row);
    const step = def.steps[progress.step];
    const open = progress.status === "active" || progress.status === "paused";
    return {
      case: row.number!,
      type: row.type,
      typeName: CASE_TYPE_LABELS[row.type as CaseType] ?? row.type,
      state: stateName(def, progress),
      status: row.status,
      household: row.household_number,
      headName: row.head_name,
      villageCode: row.village_code,
      villageName: row.village_name,
      step: open && step ? stepId(step) : null,
      stepName: open && step ? stepName(step) : null,
      deadline: row.deadline,
      overdue: open && isOverdue(row.deadline, day, row.decided_on !== null),
      greenChannel: Number(row.green_channel) === 1,
      openedAt: row.created_at,
    };
  }

  /** What an actor may do with a case now. */
  function actionsOn(actor: Actor, def: WorkflowDef, progress: Progress): string[] {
    const out: string[] = [];
    const step = def.steps[progress.step];
    if (can(actor, "case.advance") && step && mayAct(step, actor.role)) {
      if (progress.status === "active") {
        out.push("advance");
        if (progress.step > 0) out.push("send_back");
      }
      if (progress.status === "active" || progress.status === "paused")
        out.push("reject", "withdraw");
    }
    if (can(actor, "case.advance")) out.push("attach");
    if (progress.status === "paused" && can(actor, "objection.resolve"))
      out.push("resolve_objection");
    return out;
  }

  async function detailOf(actor: Actor, row: CaseRow): Promise<CaseDetail> {
    const repo = createCasesRepository(db);
    const day = today();
    const def = workflowOf(row);
    const progress = progressOf(row);
    const log = await repo.steps(row.id);
    const posting = def.steps[progress.step]?.kind === "notice" ? currentPosting(log) : null;
    const records = log.map((e) => ({
      step: Number(e.step),
      action: e.action,
      actor: e.actor_name,
      at: e.at,
    }));
    const objections = await repo.objections(row.id);
    const attachments = await repo.attachments(row.id);
    return {
      ...listItem(row, day),
      townName: row.town_name,
      category: row.category,
      riskFactors: json<string[]>(row.risk_factors, []),
      details: json<Record<string, unknown>>(row.details, {}),
      leadSource: row.lead_source,
      leadDate: row.lead_date,
      assistanceStartedOn: row.assistance_started_on,
      decidedOn: row.decided_on,
      completedAt: row.completed_at,
      policyId: row.policy_id,
      steps: stepStates(def, progress, records).map((s, i) => ({
        ...s,
        roles: [...def.steps[i]!.roles],
        dueOn: s.state === "active" ? dueOn(def.steps[i]!, log, row.village_code) : null,
      })),
      notice: posting ? { ...posting, over: day > posting.endsOn } : null,
      log: log.map((e) => ({
        step: def.steps[Number(e.step)] ? stepId(def.steps[Number(e.step)]!) : e.step_id,
        action: e.action,
        actor: e.actor_name,
        at: e.at,
        comment: e.comment,
        data: json<unknown>(e.data, null),
      })),
      objections: objections.map((o) => ({
        id: Number(o.id),
        receipt: o.receipt,
        content: o.content,
        objector: o.objector,
        receivedAt: o.received_at,
        status: o.status,
        outcome: o.outcome,
        resolution: o.resolution,
        resolvedAt: o.resolved_at,
        resolvedBy: o.resolved_by,
      })),
      attachments: attachments.map((a) => ({
        id: Number(a.id),
        kind: a.kind,
        name: a.name,
        mime: a.mime,
        size: Number(a.size),
        step:
          a.step === null
            ? null
            : def.steps[Number(a.step)]
              ? stepId(def.steps[Number(a.step)]!)
              : null,
        uploadedAt: a.uploaded_at,
        uploadedBy: a.uploaded_by,
      })),
      version: Number(row.version),
      can: actionsOn(actor, def, progress),
    };
  }

  // ── writing ───────────────────────────────────────────────────────────────────────────
  const actorName = (actor: Actor) => actor.username;

  async function log(
    repo: CasesRepository,
    actor: Actor,
    caseId: number,
    def: WorkflowDef,
    step: number,
    action: string,
    comment: string | null | undefined,
    data: unknown,
    at: string,
  ) {
    const s = def.steps[Math.min(step, def.steps.length - 1)];
    await repo.insertStep({
      case_id: caseId,
      step,
      step_id: s ? stepId(s) : String(step),
      action,
      actor_id: actor.id,
      actor_name: actorName(actor),
      at,
      comment: comment ?? null,
      data: data === undefined || data === null ? null : JSON.stringify(data),
    });
  }

  /** Moves a case row to a new progress, version-checked. */
  async function move(
    repo: CasesRepository,
    row: CaseRow,
    def: WorkflowDef,
    next: Progress,
    at: string,
    extra: Record<string, unknown> = {},
  ) {
    const step = def.steps[next.step];
    const ok = await repo.updateCase(row.id, Number(row.version), {
      status: next.status,
      step: next.step,
      current_step:
        next.status === "active" || next.status === "paused" ? stepId(step!) : next.status,
      updated_at: at,
      ...extra,
    });
    if (!ok)
      throw conflict(`案件 ${row.number} 已被他人办理，请刷新后重试`, {
        code: "version_conflict",
      });
  }

  /** The household changes a completed case makes. */
  function outcomeOf(row: CaseRow, decidedOn: string): Partial<HouseholdValues> {
    const details = json<Record<string, unknown>>(row.details, {});
    const month = decidedOn.slice(0, 7);
    switch (row.type as CaseType) {
      case "identification":
        return {
          monitoringCategory: row.category,
          riskFactors: json<string[]>(row.risk_factors, []),
          identifiedMonth: month,
          riskEliminated: false,
          eliminatedMonth: null,
          eliminationMethod: null,
        };
      case "risk_elimination":
        return {
          riskEliminated: true,
          eliminatedMonth: month,
          eliminationMethod: (details.eliminationMethod as string) ?? "assisted",
        };
      case "safety_net":
        return { safetyNet: true };
      case "exit":
        return { householdType: "exited" };
      case "correction":
        return (details.corrections as Partial<HouseholdValues>) ?? {};
      case "transfer":
        return { villageCode: details.targetVillage as string };
      case "deregistration":
        return { householdType: "deregistered" };
    }
  }

  interface Completion {
    row: CaseRow;
    def: WorkflowDef;
    kind: string;
    completed: boolean;
  }

  /**
   * Completes a case's current step inside `trx`: guards, notice period, the move, its log entry
   * and, when it was the last step, the household's change through registry events.
   */
  async function completeStep(
    trx: Kysely<DB>,
    actor: Actor,
    row: CaseRow,
    input: { to?: string | undefined; comment?: string | undefined; data?: unknown },
    builtin: GuardResult[],
  ): Promise<Completion> {
    const repo = createCasesRepository(trx);
    const def = workflowOf(row);
    const progress = progressOf(row);
    const step = def.steps[progress.step];
    const policy = policyFor(row.village_code);
    const guards = guardsFor(def, progress);
    const results = [
      ...(await evaluateGuards(repo, Number(row.household_id), guards, policy)),
      ...(step?.recheck ? builtin : []),
    ];
    const posting = step?.kind === "notice" ? currentPosting(await repo.steps(row.id)) : null;
    const next = advanceStep(def, progress, {
      role: actor.role,
      today: today(),
      to: input.to,
      guards: results,
      notice: posting,
    });
    const at = now().toISOString();
    const day = today();
    const decidedOn = step?.kind === "approval" && !row.decided_on ? day : row.decided_on;
    await move(repo, row, def, next, at, {
      decided_on: decidedOn,
      ...(next.status === "completed" ? { completed_at: at } : {}),
    });
    await log(repo, actor, row.id, def, progress.step, "completed", input.comment, input.data, at);
    if (next.status === "completed") {
      await registry.updateWithin(
        trx,
        actor,
        row.household_number,
        outcomeOf(row, decidedOn ?? day),
        {
          source: "case",
          sourceRef: row.number,
          reason: `${CASE_TYPE_LABELS[row.type as CaseType]}（案件 ${row.number}）`,
        },
      );
    }
    await audit(trx, actor, at, "case.advance", {
      targetType: "case",
      targetId: row.number ?? undefined,
      regionCode: row.village_code,
      detail: { step: step ? stepId(step) : null, status: next.status },
    });
    return { row, def, kind: step?.kind ?? "", completed: next.status === "completed" };
  }

  /** Checks read before the transaction for a step that needs them. */
  async function preRead(row: CaseRow): Promise<{ builtin: GuardResult[]; comparison?: unknown }> {
    const def = workflowOf(row);
    const step = def.steps[Number(row.step)];
    const household = {
      id: Number(row.household_id),
      villageCode: row.village_code,
      householdType: null as string | null,
    };
    let builtin: GuardResult[] = [];
    if (step?.recheck && (def.checks ?? []).length > 0) {
      const h = await registry.stored(row.household_number);
      household.householdType = h?.household.householdType ?? null;
      builtin = await builtinChecks(def.checks ?? [], household, row.category);
    }
    if (step?.kind === "comparison") {
      // Department data reaches fangpin as monitoring signals; the comparison keeps what they
      // said about the household when the step was done.
      const open = await monitoring.openSignals(household.id, household.villageCode);
      return {
        builtin,
        comparison: {
          comparedAt: now().toISOString(),
          signals: open.map((s) => ({ rule: s.rule, name: s.name, message: s.message })),
        },
      };
    }
    return { builtin };
  }

  /** Title words of a notice or an announcement for a case type. */
  function noticeTitle(villageName: string, type: string, kind: "notice" | "announcement") {
    const what =
      type === "identification"
        ? "防止返贫监测对象识别"
        : type === "risk_elimination"
          ? "防止返贫监测对象风险消除"
          : type === "exit"
            ? "贫困户退出"
            : CASE_TYPE_LABELS[type as CaseType];
    return kind === "notice"
      ? `关于${villageName}${what}情况的公示`
      : `关于${villageName}${what}结果的公告`;
  }

  /** The 监测对象类别 / change column and the 主要风险 column of a posted line. */
  function noticeLine(row: CaseRow): { change: string; risks: string | null } {
    const details = json<Record<string, unknown>>(row.details, {});
    const riskWords = (codes: string[]) =>
      codes.length ? codes.map((c) => labelFor(RISK_FACTORS, c)).join("、") : null;
    switch (row.type as CaseType) {
      case "identification":
        return {
          change: `纳入监测（${labelFor(MONITORING_CATEGORIES, row.category)}）`,
          risks: riskWords(json<string[]>(row.risk_factors, [])),
        };
      case "risk_elimination":
        return {
          change: `风险消除（${labelFor(ELIMINATION_METHODS, (details.eliminationMethod as string) ?? "assisted")}）`,
          risks: riskWords(json<string[]>(row.household_risks, [])),
        };
      case "exit":
        return { change: "脱贫退出", risks: null };
      case "deregistration":
        return {
          change: `注销（${DEREGISTRATION_LABELS[details.deregistrationReason as "death"] ?? ""}）`,
          risks: null,
        };
      default:
        return { change: CASE_TYPE_LABELS[row.type as CaseType] ?? row.type, risks: null };
    }
  }

  async function names(repo: CasesRepository, villageCode: string) {
    const rows = await repo.regionNames([
      villageCode,
      villageCode.slice(0, 9),
      villageCode.slice(0, 6),
    ]);
    const by = new Map(rows.map((r) => [r.code, r.name]));
    return {
      village: by.get(villageCode) ?? null,
      town: by.get(villageCode.slice(0, 9)) ?? null,
      county: by.get(villageCode.slice(0, 6)) ?? null,
    };
  }

  /** Inserts a batch with its lines (as posted) inside `trx`. */
  async function insertBatch(
    repo: CasesRepository,
    actor: Actor,
    rows: readonly CaseRow[],
    kind: "notice" | "announcement",
    period: NoticePeriod,
    extra: { deliberationDate?: string; villagePhone?: string; townPhone?: string },
    at: string,
  ): Promise<number> {
    const villageCode = rows[0]!.village_code;
    const n = await names(repo, villageCode);
    const villageName = n.village ?? villageCode;
    const id = await repo.insertBatch({
      village_code: villageCode,
      kind,
      case_type: rows[0]!.type,
      title: noticeTitle(villageName, rows[0]!.type, kind),
      starts_on: period.startsOn,
      ends_on: period.endsOn,
      deliberation_date: extra.deliberationDate ?? null,
      issuer: kind === "notice" ? `${villageName}村民委员会` : `${n.county ?? ""}乡村振兴局`.trim(),
      village_phone: extra.villagePhone ?? null,
      town_phone: extra.townPhone ?? null,
      created_at: at,
      created_by: actorName(actor),
    });
    await repo.insertEntries(
      rows.map((r, i) => ({
        batch_id: id,
        case_id: r.id,
        seq: i + 1,
        group_name: r.group_name,
        head_name: r.head_name ?? "",
        size: Number(r.size),
        ...noticeLine(r),
      })),
    );
    return id;
  }

  /** Announcement batches (公告) for completed announcement steps, one per village and type. */
  async function announce(trx: Kysely<DB>, actor: Actor, done: Completion[], at: string) {
    const repo = createCasesRepository(trx);
    const groups = new Map<string, CaseRow[]>();
    for (const c of done.filter((d) => d.kind === "announcement")) {
      const key = `${c.row.village_code}|${c.row.type}`;
      groups.set(key, [...(groups.get(key) ?? []), c.row]);
    }
    for (const rows of groups.values()) {
      const policy = policyFor(rows[0]!.village_code);
      const days = resolveDays("noticeDays", policy.deadlines);
      await insertBatch(repo, actor, rows, "announcement", noticePeriod(today(), days), {}, at);
    }
  }

  async function post(actor: Actor, rows: CaseRow[], input: Partial<NoticeBatchInput>) {
    const at = now().toISOString();
    const day = today();
    const problems: string[] = [];
    const type = rows[0]!.type;
    for (const row of rows) {
      const def = workflowOf(row);
      const progress = progressOf(row);
      const step = def.steps[progress.step];
      if (row.village_code !== rows[0]!.village_code)
        problems.push(`案件 ${row.number} 不属于同一个村`);
      else if (row.type !== type) problems.push(`案件 ${row.number} 与其他案件类型不同`);
      else if (progress.status !== "active" || step?.kind !== "notice")
        problems.push(`案件 ${row.number} 当前不在公示步骤`);
      else if (!mayAct(step, actor.role)) problems.push(`公示应由 ${step.roles.join("、")} 张贴`);
    }
    if (problems.length > 0) throw refused(`不能公示：${problems[0]}`, problems);
    const policy = policyFor(rows[0]!.village_code);
    const firstStep = workflowOf(rows[0]!).steps[Number(rows[0]!.step)]!;
    const days = Math.max(
      resolveDays(firstStep.days ?? "noticeDays", policy.deadlines),
      resolveDays("noticeDays", policy.deadlines),
    );
    const period = noticePeriod(day, days);
    return db.transaction().execute(async (trx) => {
      const repo = createCasesRepository(trx);
      for (const row of rows) {
        if (currentPosting(await repo.steps(row.id)))
          throw unexpectedState(`案件 ${row.number} 已在公示中`, { code: "notice_posted" });
      }
      const batch = await insertBatch(repo, actor, rows, "notice", period, input, at);
      for (const row of rows) {
        const def = workflowOf(row);
        await move(repo, row, def, progressOf(row), at);
        await log(
          repo,
          actor,
          row.id,
          def,
          Number(row.step),
          "posted",
          null,
          { batch, ...period },
          at,
        );
      }
      await audit(trx, actor, at, "notice.post", {
        targetType: "notice_batch",
        targetId: String(batch),
        regionCode: rows[0]!.village_code,
        detail: { cases: rows.map((r) => r.number), ...period },
      });
      return batch;
    });
  }

  async function batchView(
    repo: CasesRepository,
    b: NonNullable<Awaited<ReturnType<CasesRepository["findBatch"]>>>,
  ): Promise<NoticeBatchView> {
    const n = await names(repo, b.village_code);
    const entries = await repo.entries([Number(b.id)]);
    const hotline = policyFor(b.village_code).parameters.objectionHotline;
    return {
      id: Number(b.id),
      kind: b.kind,
      caseType: b.case_type,
      villageCode: b.village_code,
      villageName: n.village,
      townName: n.town,
      countyName: n.county,
      title: b.title,
      startsOn: b.starts_on,
      endsOn: b.ends_on,
      days: Math.round((Date.parse(b.ends_on) - Date.parse(b.starts_on)) / 86_400_000) + 1,
      deliberationDate: b.deliberation_date,
      issuer: b.issuer,
      villagePhone: b.village_phone,
      townPhone: b.town_phone,
      hotline: typeof hotline === "string" ? hotline : "12317",
      entries: entries.map((e) => ({
        seq: Number(e.seq),
        groupName: e.group_name,
        headName: e.head_name,
        size: Number(e.size),
        change: e.change,
        risks: e.risks,
      })),
    };
  }

  async function loadCases(actor: Actor, numbers: readonly string[]): Promise<CaseRow[]> {
    const unique = [...new Set(numbers)];
    const rows = await createCasesRepository(db).findCases(unique, scopeOf(actor));
    const found = new Set(rows.map((r) => r.number));
    const missing = unique.filter((n) => !found.has(n));
    if (missing.length > 0)
      throw notFound(`案件 ${missing.join("、")} 不存在或不在您的管辖范围内`, {
        code: "case_not_found",
      });
    return unique.map((n) => rows.find((r) => r.number === n)!);
  }

  /** Completes the current step of many cases in one transaction: all or none. */
  async function completeMany(
    actor: Actor,
    rows: CaseRow[],
    kind: "approval" | "announcement",
    input: { comment?: string | undefined; data?: unknown },
  ) {
    const wrong = rows.filter(
      (r) => workflowOf(r).steps[Number(r.step)]?.kind !== kind || r.status !== "active",
    );
    if (wrong.length > 0)
      throw refused(
        `案件 ${wrong.map((r) => r.number).join("、")} 当前不在${kind === "approval" ? "审定" : "公告"}步骤`,
        wrong.map((r) => `${r.number}：当前为 ${stateName(workflowOf(r), progressOf(r))}`),
      );
    const pre = new Map<number, GuardResult[]>();
    for (const r of rows) pre.set(r.id, (await preRead(r)).builtin);
    const at = now().toISOString();
    await db.transaction().execute(async (trx) => {
      const failures: { case: string; reasons: string[] }[] = [];
      const done: Completion[] = [];
      for (const row of rows) {
        try {
          done.push(await completeStep(trx, actor, row, input, pre.get(row.id) ?? []));
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          const reasons = (e.detail?.reasons as string[] | undefined) ?? [e.message];
          failures.push({ case: row.number!, reasons });
        }
      }
      if (failures.length > 0) {
        throw refused(
          `${failures.length} 个案件不符合条件，本批次均未办理：${failures
            .map((f) => `${f.case}（${f.reasons.join("；")}）`)
            .join("；")}`,
          failures.flatMap((f) => f.reasons.map((r) => `${f.case}：${r}`)),
          { cases: failures },
        );
      }
      await announce(trx, actor, done, at);
    });
    return { cases: rows.map((r) => r.number!) };
  }

  return {
    /**
     * Opens a case for a household after checking the workflow's conditions; refuses with
     * every reason that does not hold.
     */
    async open(actor: Actor, raw: OpenCaseInput): Promise<CaseDetail> {
      assertCan(actor, "case.open");
      const input = parse(openCaseInput, raw);
      const household = await registry.get(actor, input.householdNumber);
      const villageCode = household.household.villageCode!;
      const householdId = (await registry.idOf(input.householdNumber))!;
      const policy = policyFor(villageCode);
      const def = policy.workflows[input.type];
      if (!def)
        throw unexpectedState(`政策 ${policy.id} 没有规定“${CASE_TYPE_LABELS[input.type]}”的流程`, {
          code: "workflow_missing",
        });
      const day = today();
      const details: Record<string, unknown> = {};
      const need = (ok: unknown, field: string, message: string) => {
        if (!ok) throw invalid(message, { field, code: "field_required" });
      };
      if (input.type === "identification") {
        need(input.category, "category", "识别监测对象须选择监测对象类别");
        need(input.riskFactors?.length, "riskFactors", "识别监测对象须选择至少一项致贫/返贫风险");
      }
      if (input.greenChannel) {
        if (input.type !== "identification")
          throw invalid("绿色通道只用于识别监测对象", {
            field: "greenChannel",
            code: "green_channel",
          });
        if (!input.riskFactors?.some((r) => r === "disaster" || r === "accident"))
          throw invalid("绿色通道只用于因灾、意外事故等突发情况", {
            field: "greenChannel",
            code: "green_channel",
          });
      }
      if (input.type === "risk_elimination")
        details.eliminationMethod = input.eliminationMethod ?? "assisted";
      if (input.type === "transfer") {
        need(input.targetVillage, "targetVillage", "迁移须填写迁入的行政村");
        if (input.targetVillage === villageCode)
          throw invalid("迁入村与现所在村相同", { field: "targetVillage", code: "same_village" });
        details.targetVillage = input.targetVillage;
      }
      if (input.type === "correction") {
        const corrections = Object.fromEntries(
          Object.entries(input.corrections ?? {}).filter(([, v]) => v !== undefined),
        );
        need(Object.keys(corrections).length, "corrections", "信息更正须写明更正的内容");
        if ("householdNumber" in corrections || "villageCode" in corrections)
          throw invalid("户编号不能更正；换村请办理迁移", {
            field: "corrections",
            code: "correction_identity",
          });
        details.corrections = corrections;
      }
      if (input.type === "deregistration") {
        need(
          input.deregistrationReason,
          "deregistrationReason",
          "注销须选择原因（全户死亡、全户迁出）",
        );
        details.deregistrationReason = input.deregistrationReason;
      }
      const leadDate = input.leadDate ?? day;
      if (leadDate > day)
        throw invalid("发现线索日期不能晚于今天", { field: "leadDate", code: "lead_date_future" });

      const builtin = await builtinChecks(
        def.checks ?? [],
        {
          id: householdId,
          villageCode,
          householdType: household.household.householdType,
        },
        input.category ?? null,
      );
      const at = now().toISOString();
      const number = await db.transaction().execute(async (trx) => {
        const repo = createCasesRepository(trx);
        const results = [
          ...(await evaluateGuards(repo, householdId, def.conditions ?? [], policy)),
          ...builtin,
        ];
        const reasons = reasonsOf(results);
        if (reasons.length > 0)
          throw refused(`不能${CASE_TYPE_LABELS[input.type]}：${reasons.join("；")}`, reasons, {
            results,
          });
        const existing = await repo.openCasesOf(householdId, input.type);
        if (existing.length > 0)
          throw conflict(
            `该户已有办理中的${CASE_TYPE_LABELS[input.type]}案件 ${existing[0]!.number}`,
            {
              code: "case_exists",
              detail: { case: existing[0]!.number },
            },
          );
        if (input.verification) {
          const task = await repo.verification(input.verification.id);
          if (!task || Number(task.household_id) !== householdId || task.status !== "open")
            throw invalid("核实任务不存在、已办结或不是该户的", {
              field: "verification",
              code: "verification_mismatch",
            });
        }
        const first = def.steps[0]!;
        const id = await repo.insertCase({
          number: null,
          type: input.type,
          status: "active",
          step: 0,
          current_step: stepId(first),
          household_id: householdId,
          village_code: villageCode,
          category: input.category ?? null,
          risk_factors: input.riskFactors ? JSON.stringify(input.riskFactors) : null,
          details: Object.keys(details).length ? JSON.stringify(details) : null,
          lead_source: input.leadSource,
          lead_date: leadDate,
          deadline: caseDeadline(def, leadDate, policy.deadlines),
          green_channel: input.greenChannel ? 1 : 0,
          assistance_started_on: input.greenChannel ? (input.assistanceStartedOn ?? day) : null,
          verification_id: input.verification?.id ?? null,
          policy_id: policy.id,
          workflow: JSON.stringify(def),
          decided_on: null,
          completed_at: null,
          created_at: at,
          created_by: actorName(actor),
          updated_at: at,
        });
        const number = `${villageCode.slice(0, 6)}-${day.slice(0, 4)}-${String(id).padStart(6, "0")}`;
        await repo.setNumber(id, number);
        await log(
          repo,
          actor,
          id,
          def,
          0,
          "opened",
          input.comment,
          {
            leadSource: LEAD_SOURCE_LABELS[input.leadSource],
            greenChannel: input.greenChannel,
          },
          at,
        );
        await audit(trx, actor, at, "case.open", {
          targetType: "case",
          targetId: number,
          regionCode: villageCode,
          detail: { type: input.type, household: input.householdNumber },
        });
        return number;
      });
      if (input.verification) {
        try {
          await signals.recordOutcome(actor, input.verification.id, {
            version: input.verification.version,
            outcome: "case_opened",
            reason: `已立案：${number}`,
          });
        } catch (e) {
          // The case and the task's outcome go together: undo the case.
          const row = await createCasesRepository(db).findCase(number, null);
          if (row)
            await db.transaction().execute((trx) => createCasesRepository(trx).deleteCase(row.id));
          throw e;
        }
      }
      return this.get(actor, number);
    },

    /**
     * The guards a new case of a type would face for a household, with their reasons (for the
     * form that opens one), without opening it.
     */
    async check(actor: Actor, householdNumber: string, type: CaseType, category?: string) {
      assertCan(actor, "case.read");
      const household = await registry.get(actor, householdNumber);
      const villageCode = household.household.villageCode!;
      const householdId = (await registry.idOf(householdNumber))!;
      const policy = policyFor(villageCode);
      const def = policy.workflows[type];
      if (!def)
        throw unexpectedState(`政策 ${policy.id} 没有规定“${CASE_TYPE_LABELS[type]}”的流程`, {
          code: "workflow_missing",
        });
      const builtin = await builtinChecks(
        def.checks ?? [],
        { id: householdId, villageCode, householdType: household.household.householdType },
        category ?? null,
      );
      const results = [
        ...(await evaluateGuards(
          createCasesRepository(db),
          householdId,
          def.conditions ?? [],
          policy,
        )),
        ...builtin,
      ];
      const reasons = reasonsOf(results);
      return { ok: reasons.length === 0, reasons, results };
    },

    async get(actor: Actor, number: string): Promise<CaseDetail> {
      return detailOf(actor, await findRow(actor, number));
    },

    async list(
      actor: Actor,
      q: CaseListQuery,
    ): Promise<{ items: CaseListItem[]; next: string | null }> {
      assertCan(actor, "case.read");
      const day = today();
      const beforeId = q.after !== undefined ? Number.parseInt(q.after, 36) : undefined;
      if (beforeId !== undefined && !Number.isSafeInteger(beforeId))
        throw invalid("翻页游标 after 无效", { field: "after", code: "cursor_invalid" });
      const rows = await createCasesRepository(db).list({
        range: rangeOf(actor, q.region),
        type: q.type,
        statuses:
          q.status === "open"
            ? OPEN_STATUSES
            : q.status === "closed"
              ? CLOSED_STATUSES
              : [...OPEN_STATUSES, ...CLOSED_STATUSES],
        steps: stepFilter(actor, q),
        ...(q.overdue === "true" ? { overdueBefore: day } : {}),
        ...(q.household ? { householdNumber: q.household } : {}),
        ...(beforeId !== undefined ? { beforeId } : {}),
        limit: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      return {
        items: page.map((r) => listItem(r, day)),
        next: rows.length > q.limit ? Number(page.at(-1)!.id).toString(36) : null,
      };
    },

    /**
     * Completes the current step (or, with `to` naming an earlier step, sends the case back
     * with the comment as the reason). At a notice step that is not yet posted, posts the
     * case's notice alone; the step completes once the period is over.
     */
    async advance(actor: Actor, number: string, input: AdvanceInput = {}): Promise<CaseDetail> {
      assertCan(actor, "case.advance");
      const row = await findRow(actor, number);
      if (input.version !== undefined && input.version !== Number(row.version))
        throw conflict(`案件 ${number} 已被他人办理（当前版本 ${row.version}），请刷新后重试`, {
          code: "version_conflict",
        });
      const def = workflowOf(row);
      const progress = progressOf(row);
      if (input.to !== undefined) {
        const earlier = def.steps.findIndex((s, i) => i < progress.step && stepId(s) === input.to);
        if (earlier >= 0)
          return this.sendBack(actor, number, { to: input.to, reason: input.comment ?? "" });
      }
      const step = def.steps[progress.step];
      if (progress.status === "active" && step?.kind === "notice") {
        const posting = currentPosting(await createCasesRepository(db).steps(row.id));
        if (!posting) {
          if (!mayAct(step, actor.role))
            throw notAllowed(`“${stepName(step)}”应由 ${step.roles.join("、")} 办理`, {
              code: "step_role",
            });
          await post(actor, [row], {});
          return this.get(actor, number);
        }
      }
      const { builtin, comparison } = await preRead(row);
      const data =
        comparison || input.data
          ? { ...(input.data ?? {}), ...(comparison ? { comparison } : {}) }
          : undefined;
      const at = now().toISOString();
      await db.transaction().execute(async (trx) => {
        const done = await completeStep(trx, actor, row, { ...input, data }, builtin);
        await announce(trx, actor, [done], at);
      });
      return this.get(actor, number);
    },

    /** Sends the case back from its current step to the previous (or a named earlier) one. */
    async sendBack(
      actor: Actor,
      number: string,
      raw: { to?: string | undefined; reason: string; version?: number | undefined },
    ): Promise<CaseDetail> {
      assertCan(actor, "case.advance");
      const input = parse(sendBackInput, raw);
      const row = await findRow(actor, number);
      if (input.version !== undefined && input.version !== Number(row.version))
        throw conflict(`案件 ${number} 已被他人办理，请刷新后重试`, { code: "version_conflict" });
      const def = workflowOf(row);
      const progress = progressOf(row);
      const next = sendBackStep(def, progress, {
        role: actor.role,
        to: input.to,
        reason: input.reason,
      });
      const at = now().toISOString();
      await db.transaction().execute(async (trx) => {
        const repo = createCasesRepository(trx);
        const decision = def.steps.findIndex((s) => s.kind === "approval");
        await move(repo, row, def, next, at, next.step <= decision ? { decided_on: null } : {});
        await log(
          repo,
          actor,
          row.id,
          def,
          progress.step,
          "sent_back",
          input.reason,
          {
            to: stepId(def.steps[next.step]!),
          },
          at,
        );
        await audit(trx, actor, at, "case.send_back", {
          targetType: "case",
          targetId: number,
          regionCode: row.village_code,
          detail: { from: stepId(def.steps[progress.step]!), to: stepId(def.steps[next.step]!) },
        });
      });
      return this.get(actor, number);
    },

    /** Ends a case without completing it: 不予通过 (rejected) or 撤销 (withdrawn). */
    async close(
      actor: Actor,
      number: string,
      as: "rejected" | "withdrawn",
      raw: { reason: string; version?: number | undefined },
    ): Promise<CaseDetail> {
      assertCan(actor, "case.advance");
      const input = parse(closeInput, raw);
      const row = await findRow(actor, number);
      if (input.version !== undefined && input.version !== Number(row.version))
        throw conflict(`案件 ${number} 已被他人办理，请刷新后重试`, { code: "version_conflict" });
      const def = workflowOf(row);
      const progress = progressOf(row);
      const next = closeCase(def, progress, { role: actor.role, reason: input.reason, as });
      const at = now().toISOString();
      await db.transaction().execute(async (trx) => {
        const repo = createCasesRepository(trx);
        await move(repo, row, def, next, at, { completed_at: at });
        await log(repo, actor, row.id, def, progress.step, as, input.reason, null, at);
        await audit(trx, actor, at, as === "rejected" ? "case.reject" : "case.withdraw", {
          targetType: "case",
          targetId: number,
          regionCode: row.village_code,
        });
      });
      return this.get(actor, number);
    },

    /** 批量审定: approves many cases after one meeting; all or none, every refusal listed. */
    async approveMany(
      actor: Actor,
      numbers: readonly string[],
      input: { comment?: string; data?: StepData } = {},
    ) {
      assertCan(actor, "case.batch");
      return completeMany(actor, await loadCases(actor, numbers), "approval", input);
    },

    /** 批量公告: publishes the announcement of many approved cases (one 公告 per village). */
    async announceMany(actor: Actor, numbers: readonly string[], input: { comment?: string } = {}) {
      assertCan(actor, "case.batch");
      return completeMany(actor, await loadCases(actor, numbers), "announcement", input);
    },

    /** Posts a village's notice (公示) for cases at their notice step; the period starts today. */
    async postNotice(actor: Actor, input: NoticeBatchInput): Promise<NoticeBatchView> {
      assertCan(actor, "notice.manage");
      if (!inScope(actor, input.village))
        throw notFound(`行政村 ${input.village} 不存在或不在您的管辖范围内`, {
          code: "region_not_found",
        });
      const rows = await loadCases(actor, input.cases);
      const wrong = rows.find((r) => r.village_code !== input.village);
      if (wrong)
        throw invalid(`案件 ${wrong.number} 不是 ${input.village} 村的`, {
          field: "cases",
          code: "notice_village",
        });
      const id = await post(actor, rows, input);
      return this.batch(actor, id);
    },

    async batch(actor: Actor, id: number): Promise<NoticeBatchView> {
      assertCan(actor, "case.read");
      const repo = createCasesRepository(db);
      const b = await repo.findBatch(id, scopeOf(actor));
      if (!b) throw notFound(`公示 ${id} 不存在或不在您的管辖范围内`, { code: "notice_not_found" });
      return batchView(repo, b);
    },

    async batches(actor: Actor, region?: string, limit = 50) {
      assertCan(actor, "case.read");
      const repo = createCasesRepository(db);
      const rows = await repo.batches(rangeOf(actor, region), limit);
      const day = today();
      return rows.map((b) => ({
        id: Number(b.id),
        kind: b.kind,
        caseType: b.case_type,
        villageCode: b.village_code,
        title: b.title,
        startsOn: b.starts_on,
        endsOn: b.ends_on,
        active: b.starts_on <= day && day <= b.ends_on,
      }));
    },

    /** The objections to a batch (for the village's work list); contacts stay hidden. */
    async batchObjections(actor: Actor, id: number) {
      const repo = createCasesRepository(db);
      await this.batch(actor, id);
      return (await repo.batchObjections(id)).map((o) => ({
        id: Number(o.id),
        receipt: o.receipt,
        content: o.content,
        objector: o.objector,
        receivedAt: o.received_at,
        status: o.status,
        outcome: o.outcome,
        resolution: o.resolution,
        resolvedAt: o.resolved_at,
        resolvedBy: o.resolved_by,
      }));
    },

    /**
     * The notices and announcements a village has posted today, for the public page. Only
     * what was posted is read (the lines as posted), so nothing sensitive can appear.
     */
    async publicNotices(
      villageCode: string,
    ): Promise<{ villageName: string | null; batches: NoticeBatchView[] } | null> {
      const repo = createCasesRepository(db);
      const n = await names(repo, villageCode);
      if (!n.village) return null;
      const batches = await repo.activeBatches(villageCode, today());
      const views = [];
      for (const b of batches) views.push(await batchView(repo, b));
      return { villageName: n.village, batches: views };
    },

    /**
     * An objection from the public to a posted line: recorded with a receipt number; the case
     * pauses until the village resolves it.
     */
    async object(villageCode: string, raw: unknown): Promise<{ receipt: string; title: string }> {
      const input = parse(objectionInput, raw);
      const day = today();
      const repo = createCasesRepository(db);
      const batch = await repo.findBatch(input.batch, scopeRange(villageCode));
      if (!batch || batch.village_code !== villageCode || batch.kind !== "notice")
        throw notFound("没有这份公示", { field: "batch", code: "notice_not_found" });
      if (day < batch.starts_on || day > batch.ends_on)
        throw invalid(`公示期为 ${batch.starts_on} 至 ${batch.ends_on}，现在不在公示期内`, {
          field: "batch",
          code: "notice_not_active",
        });
      const entry = (await repo.entries([Number(batch.id)])).find(
        (e) => Number(e.seq) === input.seq,
      );
      if (!entry) throw invalid("公示中没有这个序号", { field: "seq", code: "notice_entry" });
      const row = await repo.findCaseById(Number(entry.case_id));
      const at = now().toISOString();
      const actor = PUBLIC_ACTOR(villageCode);
      for (let attempt = 0; ; attempt++) {
        const receipt = `YY${day.replaceAll("-", "")}${randomBytes(5).toString("hex").toUpperCase()}`;
        try {
          await db.transaction().execute(async (trx) => {
            const r = createCasesRepository(trx);
            await r.insertObjection({
              receipt,
              batch_id: Number(batch.id),
              entry_id: Number(entry.id),
              case_id: Number(entry.case_id),
              village_code: villageCode,
              objector: input.name || null,
              contact: input.contact || null,
              content: input.content,
              received_at: at,
              status: "open",
              outcome: null,
              resolution: null,
              resolved_at: null,
              resolved_by: null,
            });
            if (row && row.status === "active") {
              const def = workflowOf(row);
              await move(r, row, def, pause(progressOf(row)), at);
              await log(
                r,
                actor,
                row.id,
                def,
                Number(row.step),
                "paused",
                `收到公示异议（回执号 ${receipt}）`,
                null,
                at,
              );
            }
            await audit(trx, actor, at, "objection.receive", {
              targetType: "notice_batch",
              targetId: String(batch.id),
              regionCode: villageCode,
              detail: { receipt, seq: input.seq },
            });
          });
          return { receipt, title: batch.title };
        } catch (e) {
          // A receipt number taken (a one in sixteen million chance) is drawn again.
          if (attempt >= 2 || e instanceof AppError) throw e;
        }
      }
    },

    /**
     * Where an objection stands, by its receipt number (public, no sign-in): received or
     * resolved, and the resolution. Nothing about the objector, the household or the case.
     */
    async objectionStatus(raw: unknown): Promise<ObjectionStatusView> {
      const parsed = receiptNumber.safeParse(raw);
      if (!parsed.success)
        throw invalid(parsed.error.issues[0]!.message, {
          field: "receipt",
          code: "request_invalid",
        });
      const receipt = parsed.data;
      const o = await createCasesRepository(db).objectionByReceipt(receipt);
      if (!o)
        throw notFound(`没有回执号为 ${receipt} 的异议，请核对回执号`, {
          field: "receipt",
          code: "receipt_not_found",
        });
      const resolved = o.status === "resolved";
      return {
        receipt: o.receipt,
        notice: o.title,
        receivedOn: chinaDate(new Date(o.received_at)),
        status: resolved ? "resolved" : "open",
        outcome: resolved ? (o.outcome as "upheld" | "dismissed" | null) : null,
        resolution: resolved ? o.resolution : null,
        resolvedOn: resolved && o.resolved_at ? chinaDate(new Date(o.resolved_at)) : null,
      };
    },

    /**
     * Records how the village resolved an objection. Dismissed: the case resumes once no
     * objection is open. Upheld: the case goes back to the step before its notice.
     */
    async resolveObjection(
      actor: Actor,
      id: number,
      raw: { outcome: "upheld" | "dismissed"; resolution: string },
    ) {
      assertCan(actor, "objection.resolve");
      const input = parse(resolveObjectionInput, raw);
      const repo = createCasesRepository(db);
      const objection = await repo.findObjection(id, scopeOf(actor));
      if (!objection)
        throw notFound(`异议 ${id} 不存在或不在您的管辖范围内`, { code: "objection_not_found" });
      if (objection.status !== "open")
        throw unexpectedState("该异议已处理", { code: "objection_resolved" });
      const row =
        objection.case_id === null ? undefined : await repo.findCaseById(Number(objection.case_id));
      const caseNumber = row?.number ?? null;
      const at = now().toISOString();
      await db.transaction().execute(async (trx) => {
        const r = createCasesRepository(trx);
        if (
          !(await r.updateObjection(id, {
            status: "resolved",
            outcome: input.outcome,
            resolution: input.resolution,
            resolved_at: at,
            resolved_by: actorName(actor),
          }))
        )
          throw conflict("该异议已被他人处理", { code: "objection_resolved" });
        if (row && (row.status === "active" || row.status === "paused")) {
          const def = workflowOf(row);
          const progress = progressOf(row);
          const noticeAt = def.steps.findIndex((s, i) => i <= progress.step && s.kind === "notice");
          if (input.outcome === "upheld" && noticeAt > 0) {
            const target = { status: "active" as const, step: noticeAt - 1 };
            await move(r, row, def, target, at);
            await log(
              r,
              actor,
              row.id,
              def,
              progress.step,
              "sent_back",
              `异议成立：${input.resolution}`,
              {
                to: stepId(def.steps[target.step]!),
                objection: objection.receipt,
              },
              at,
            );
          } else if (row.status === "paused" && (await r.openObjectionCount(row.id)) === 0) {
            await move(r, row, def, resume(progress), at);
            await log(
              r,
              actor,
              row.id,
              def,
              progress.step,
              "resumed",
              `异议不成立：${input.resolution}`,
              {
                objection: objection.receipt,
              },
              at,
            );
          }
        }
        await audit(trx, actor, at, "objection.resolve", {
          targetType: "objection",
          targetId: objection.receipt,
          regionCode: objection.village_code,
          detail: { outcome: input.outcome, case: caseNumber },
        });
      });
      return caseNumber ? this.get(actor, caseNumber) : null;
    },

    /** Stores an attachment of a case (photo, signed form, scanned minutes); size and type checked. */
    async attach(
      actor: Actor,
      number: string,
      file: { kind: string; name: string; mime: string; data: Buffer },
    ) {
      assertCan(actor, "case.advance");
      const row = await findRow(actor, number);
      const { ext, sha256 } = checkAttachment(file.mime, file.data);
      const key = attachmentKey(row.id, ext);
      await files.put(key, file.data);
      const at = now().toISOString();
      try {
        const id = await db.transaction().execute(async (trx) => {
          const id = await createCasesRepository(trx).insertAttachment({
            case_id: row.id,
            step: row.status === "active" || row.status === "paused" ? Number(row.step) : null,
            kind: file.kind,
            name: file.name,
            mime: file.mime.split(";")[0]!.trim().toLowerCase(),
            size: file.data.length,
            sha256,
            storage_key: key,
            uploaded_at: at,
            uploaded_by: actorName(actor),
          });
          await audit(trx, actor, at, "attachment.upload", {
            targetType: "case",
            targetId: number,
            regionCode: row.village_code,
            detail: { attachment: id, kind: file.kind, size: file.data.length },
          });
          return id;
        });
        return { id, sha256 };
      } catch (e) {
        await files.remove(key);
        throw e;
      }
    },

    async attachment(actor: Actor, id: number) {
      assertCan(actor, "case.read");
      const a = await createCasesRepository(db).findAttachment(id, scopeOf(actor));
      if (!a)
        throw notFound(`附件 ${id} 不存在或不在您的管辖范围内`, { code: "attachment_not_found" });
      return { name: a.name, mime: a.mime, data: await files.get(a.storage_key) };
    },
  };
}
export type CasesService = ReturnType<typeof createCasesService>;
