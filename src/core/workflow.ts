/**
 * Case workflows (案件流程). A case type's steps, the roles that complete each, its deadlines
 * and the guards that must hold come from policy data (`workflows:` in a policy file); this
 * file moves a case through them. Pure: the caller evaluates guards (in the database, with the
 * rule compiler) and passes the results and today's date in.
 *
 * A case is `active` on one step at a time; completing the last step completes the case. A step
 * can be sent back (the previous step, or a named earlier one, becomes current again) with a
 * reason. An objection to a public notice pauses the case until it is resolved.
 */
import { AppError, invalid, notAllowed, unexpectedState } from "./errors.ts";

/** Step kinds, in the order the national procedure has them. */
export const STEP_KINDS = [
  "visit",
  "consent",
  "comparison",
  "deliberation",
  "notice",
  "review",
  "approval",
  "announcement",
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const STEP_LABELS: Record<StepKind, string> = {
  visit: "入户核实",
  consent: "承诺授权",
  comparison: "信息比对",
  deliberation: "民主评议",
  notice: "公示",
  review: "乡镇审核",
  approval: "县级审定",
  announcement: "公告",
};

/** 案件类型 — case types. */
export const CASE_TYPES = [
  "identification",
  "risk_elimination",
  "safety_net",
  "exit",
  "correction",
  "transfer",
  "deregistration",
] as const;
export type CaseType = (typeof CASE_TYPES)[number];

export const CASE_TYPE_LABELS: Record<CaseType, string> = {
  identification: "监测对象识别",
  risk_elimination: "风险消除",
  safety_net: "纳入兜底保障",
  exit: "贫困户退出",
  correction: "信息更正",
  transfer: "迁移（跨村）",
  deregistration: "注销",
};

/**
 * Checks that need more than the household's own data, named in a workflow's `checks` and
 * implemented by the cases service: `no_open_risk_signal` (no open signal of a rule that asks
 * for verification), `category_fits_household` (脱贫不稳定户 only for formerly poor households,
 * the other two categories only for the others).
 */
export const BUILTIN_CHECKS = ["no_open_risk_signal", "category_fits_household"] as const;
export type BuiltinCheck = (typeof BUILTIN_CHECKS)[number];

/** A guard: a rule-language (CEL) condition over the household context that must hold. */
export interface GuardDef {
  id: string;
  when: string;
  /** Why the case cannot go on when the condition does not hold (shown to people). */
  message: string;
}

/** A number of days, or the name of a deadline in the policy (`noticeDays`). */
export type Days = number | string;

export interface StepDef {
  /** Unique within the workflow; defaults to the kind. */
  id?: string | undefined;
  kind: StepKind;
  name?: string | undefined;
  /** Roles that may complete (or send back) the step; `admin` always may. */
  roles: readonly string[];
  /** For a notice, its minimum period; otherwise days after the step starts that it is due. */
  days?: Days | undefined;
  guards?: readonly GuardDef[] | undefined;
  /** Re-evaluate the workflow's conditions before completing this step (the decision). */
  recheck?: boolean | undefined;
}

export interface WorkflowDef {
  name: string;
  /** Days from the first lead to the decision (the first approval step). */
  deadline?: Days | undefined;
  /** Guards that must hold to open a case (and again at steps that `recheck`). */
  conditions?: readonly GuardDef[] | undefined;
  checks?: readonly BuiltinCheck[] | undefined;
  steps: readonly StepDef[];
}

/** A guard's outcome; `ok: null` is unknown data, which does not satisfy a guard. */
export interface GuardResult {
  id: string;
  ok: boolean | null;
  message: string;
}

export type CaseStatus = "active" | "paused" | "completed" | "rejected" | "withdrawn";

/** Where a case stands: its status and the index of its current step. */
export interface Progress {
  status: CaseStatus;
  /** The current step while active or paused; the number of steps once completed. */
  step: number;
}

export interface NoticePeriod {
  startsOn: string;
  endsOn: string;
}

export const stepId = (s: StepDef) => s.id ?? s.kind;
export const stepName = (s: StepDef) => s.name ?? STEP_LABELS[s.kind];

/** Adds days to an ISO date (YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The number of days a `Days` value stands for, given the policy's deadlines. */
export function resolveDays(days: Days, deadlines: Readonly<Record<string, number>>): number {
  if (typeof days === "number") return days;
  const n = deadlines[days];
  if (n === undefined)
    throw invalid(`政策中没有名为 ${days} 的期限`, { code: "deadline_unknown", field: days });
  return n;
}

/** Problems of a workflow definition (empty when it is usable). */
export function workflowProblems(def: WorkflowDef): string[] {
  const problems: string[] = [];
  const ids = def.steps.map(stepId);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) problems.push(`步骤 ${id} 重复；同类步骤出现两次时请给出不同的 id`);
  });
  if (!def.steps.some((s) => s.kind === "approval"))
    problems.push("流程至少要有一个县级审定（approval）步骤");
  const last = def.steps.findIndex((s) => s.kind === "announcement");
  if (last >= 0 && last < def.steps.length - 1) problems.push("公告（announcement）应为最后一步");
  const guardIds = [
    ...(def.conditions ?? []).map((g) => g.id),
    ...def.steps.flatMap((s) => (s.guards ?? []).map((g) => g.id)),
  ];
  guardIds.forEach((id, i) => {
    if (guardIds.indexOf(id) !== i) problems.push(`条件 ${id} 重复`);
  });
  return problems;
}

/** The deadline for a decision, counted from the first lead. */
export function caseDeadline(
  def: WorkflowDef,
  leadDate: string,
  deadlines: Readonly<Record<string, number>>,
): string | null {
  return def.deadline === undefined
    ? null
    : addDays(leadDate, resolveDays(def.deadline, deadlines));
}

/** A notice period of at least `days` days starting on `startsOn` (both ends included). */
export function noticePeriod(startsOn: string, days: number): NoticePeriod {
  return { startsOn, endsOn: addDays(startsOn, Math.max(1, days) - 1) };
}

/** Index of the step that makes the decision (the first approval). */
export function decisionStep(def: WorkflowDef): number {
  return def.steps.findIndex((s) => s.kind === "approval");
}

export function isOverdue(deadline: string | null, today: string, decided: boolean): boolean {
  return deadline !== null && !decided && today > deadline;
}

/** The reasons of the guards that do not hold. */
export function reasonsOf(results: readonly GuardResult[]): string[] {
  return results
    .filter((r) => r.ok !== true)
    .map((r) => (r.ok === null ? `${r.message}（相关数据未填写，无法判断）` : r.message));
}

/** The guards to evaluate before completing the current step. */
export function guardsFor(def: WorkflowDef, progress: Progress): GuardDef[] {
  const step = def.steps[progress.step];
  if (!step) return [];
  return [...(step.recheck ? (def.conditions ?? []) : []), ...(step.guards ?? [])];
}

/** Whether a role may act on a step. */
export function mayAct(step: StepDef, role: string): boolean {
  return role === "admin" || step.roles.includes(role);
}

function current(def: WorkflowDef, progress: Progress, allowPaused = false): StepDef {
  if (progress.status === "paused" && !allowPaused)
    throw unexpectedState("该案件有未处理的公示异议，已暂停，异议处理后才能继续", {
      code: "case_paused",
    });
  if (progress.status !== "active" && progress.status !== "paused")
    throw unexpectedState(`该案件已${STATUS_LABELS[progress.status]}，不能再办理`, {
      code: "case_closed",
    });
  const step = def.steps[progress.step];
  if (!step) throw unexpectedState("案件步骤无效", { code: "case_step_invalid" });
  return step;
}

export const STATUS_LABELS: Record<CaseStatus, string> = {
  active: "办理中",
  paused: "暂停（有异议）",
  completed: "办结",
  rejected: "不予通过",
  withdrawn: "撤销",
};

function assertRole(step: StepDef, role: string) {
  if (!mayAct(step, role))
    throw notAllowed(`“${stepName(step)}”应由 ${step.roles.join("、")} 办理`, {
      code: "step_role",
    });
}

export interface AdvanceInput {
  role: string;
  today: string;
  /** The step the caller means to move to (guards against acting twice). */
  to?: string | undefined;
  /** The results of `guardsFor(def, progress)`. */
  guards: readonly GuardResult[];
  /** The notice period when the current step is a notice that has been posted. */
  notice?: NoticePeriod | null | undefined;
}

/**
 * Completes the current step and moves to the next (or completes the case). Refuses with the
 * reasons when a guard does not hold, and a notice step before its period has ended.
 */
export function advance(def: WorkflowDef, progress: Progress, input: AdvanceInput): Progress {
  const step = current(def, progress);
  assertRole(step, input.role);
  const next = def.steps[progress.step + 1];
  if (input.to !== undefined && input.to !== (next ? stepId(next) : "completed")) {
    throw unexpectedState(
      `当前步骤为“${stepName(step)}”，下一步是“${next ? stepName(next) : "办结"}”，不能到“${input.to}”`,
      {
        code: "step_mismatch",
        detail: { current: stepId(step), next: next ? stepId(next) : null },
      },
    );
  }
  if (step.kind === "notice") {
    if (!input.notice)
      throw unexpectedState("尚未张贴公示，不能结束公示", { code: "notice_not_posted" });
    if (input.today <= input.notice.endsOn) {
      throw unexpectedState(
        `公示期为 ${input.notice.startsOn} 至 ${input.notice.endsOn}，期满后才能进入下一步`,
        { code: "notice_period", detail: { endsOn: input.notice.endsOn } },
      );
    }
  }
  const reasons = reasonsOf(input.guards);
  if (reasons.length > 0) {
    throw new AppError("unexpected_state", `不符合条件：${reasons.join("；")}`, {
      code: "guard_failed",
      detail: { reasons, failed: input.guards.filter((g) => g.ok !== true).map((g) => g.id) },
    });
  }
  const at = progress.step + 1;
  return at >= def.steps.length
    ? { status: "completed", step: at }
    : { status: "active", step: at };
}

/**
 * Sends the case back from its current step to the previous one, or to a named earlier step,
 * with a reason. Whoever may complete the current step may send it back.
 */
export function sendBack(
  def: WorkflowDef,
  progress: Progress,
  input: { role: string; to?: string | undefined; reason: string },
): Progress {
  const step = current(def, progress);
  assertRole(step, input.role);
  if (input.reason.trim().length < 2)
    throw invalid("退回须说明理由", { code: "reason_required", field: "reason" });
  if (progress.step === 0) throw unexpectedState("已是第一步，不能再退回", { code: "step_first" });
  const target =
    input.to === undefined
      ? progress.step - 1
      : def.steps.findIndex((s, i) => i < progress.step && stepId(s) === input.to);
  if (target < 0)
    throw unexpectedState(`只能退回到之前的步骤，“${input.to}”不在当前步骤之前`, {
      code: "step_mismatch",
    });
  return { status: "active", step: target };
}

/** Ends a case without completing it: refused (不予通过) or withdrawn (撤销), with a reason. */
export function close(
  def: WorkflowDef,
  progress: Progress,
  input: { role: string; reason: string; as: "rejected" | "withdrawn" },
): Progress {
  const step = current(def, progress, true);
  assertRole(step, input.role);
  if (input.reason.trim().length < 2)
    throw invalid("须说明理由", { code: "reason_required", field: "reason" });
  return { status: input.as, step: progress.step };
}

export function pause(progress: Progress): Progress {
  if (progress.status === "paused") return progress;
  if (progress.status !== "active")
    throw unexpectedState("该案件已结束，不能暂停", { code: "case_closed" });
  return { ...progress, status: "paused" };
}

export function resume(progress: Progress): Progress {
  return progress.status === "paused" ? { ...progress, status: "active" } : progress;
}

/** What a case's status means to people: the current step's id while active. */
export function stateName(def: WorkflowDef, progress: Progress): string {
  if (progress.status !== "active") return progress.status;
  const step = def.steps[progress.step];
  return step ? stepId(step) : "completed";
}

export type StepState = "done" | "active" | "pending";

export interface StepRecord {
  step: number;
  action: string;
  actor: string;
  at: string;
}

/**
 * Each step with its state and, when done, who completed it and when (the latest completion:
 * a step sent back and done again shows the second time).
 */
export function stepStates(
  def: WorkflowDef,
  progress: Progress,
  records: readonly StepRecord[],
): {
  step: string;
  kind: StepKind;
  name: string;
  state: StepState;
  actor: string | null;
  at: string | null;
}[] {
  return def.steps.map((s, i) => {
    const state: StepState =
      i < progress.step
        ? "done"
        : i === progress.step && (progress.status === "active" || progress.status === "paused")
          ? "active"
          : "pending";
    const done =
      state === "done"
        ? records.filter((r) => r.step === i && r.action === "completed").at(-1)
        : undefined;
    return {
      step: stepId(s),
      kind: s.kind,
      name: stepName(s),
      state,
      actor: done?.actor ?? null,
      at: done?.at ?? null,
    };
  });
}
