/** The signals inbox and verification tasks: read, assign to a town or village, record outcomes. */
import type { Kysely } from "kysely";
import { chinaDate } from "../../core/dates.ts";
import { conflict, invalid, notFound } from "../../core/errors.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { assertCan, inScope, scopeRange } from "../auth/auth.policy.ts";
import type { Actor } from "../auth/auth.schema.ts";
import type { PolicyService } from "../policy/index.ts";
import type { OutcomeInput, SignalListQuery, SignalView } from "./monitoring.schema.ts";
import { renderMessage } from "./monitoring.service.ts";
import {
  createSignalsRepository,
  type SignalCursor,
  type SignalSort,
  sortKeyOf,
} from "./signals.repository.ts";

export interface SignalsDeps {
  db: Kysely<DB>;
  now: () => Date;
  policies: PolicyService;
}

const CODE_LENGTHS = [2, 4, 6, 9, 12];

/** A page cursor: base64url of [sort, key, id], so that it is only read back in its own order. */
export function encodeCursor(sort: SignalSort, c: SignalCursor): string {
  return Buffer.from(JSON.stringify([sort, c.key, c.id])).toString("base64url");
}

export function decodeCursor(sort: SignalSort, text: string): SignalCursor {
  const bad = () =>
    invalid("after：分页位置无效（请从第一页重新读取）", {
      field: "after",
      code: "cursor_invalid",
    });
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  if (!Array.isArray(value) || value.length !== 3 || value[0] !== sort) throw bad();
  const [, key, id] = value as [unknown, unknown, unknown];
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) throw bad();
  const keyOk =
    sort === "opened"
      ? key === null
      : sort === "severity"
        ? key === 0 || key === 1 || key === 2
        : typeof key === "string" && /^\d{4}-\d{2}-\d{2}$/.test(key);
  if (!keyOk) throw bad();
  return { key: key as SignalCursor["key"], id };
}

export function createSignalsService({ db, now, policies }: SignalsDeps) {
  const rangeOf = (actor: Actor, region?: string): [string, string] => {
    const root = region ?? actor.regionCode;
    if (region && actor.regionCode && !region.startsWith(actor.regionCode)) return ["0", "0"];
    return root ? scopeRange(root) : ["", "\uffff"];
  };
  const today = () => chinaDate(now());
  const ruleInfo = (villageCode: string, ruleId: string) => {
    const policy = policies.forRegion(villageCode, Number(today().slice(0, 4)));
    return policy.compiled.find((c) => c.rule.id === ruleId)?.rule;
  };

  return {
    async list(
      actor: Actor,
      query: Omit<SignalListQuery, "sort"> & { sort?: SignalSort },
    ): Promise<{ items: SignalView[]; next: string | null }> {
      assertCan(actor, "signal.read");
      const q = { ...query, sort: query.sort ?? "opened" };
      const day = today();
      const rows = await createSignalsRepository(db).list({
        range: rangeOf(actor, q.region),
        rule: q.rule,
        category: q.category,
        severity: q.severity,
        status: q.status,
        overdueBefore: q.overdue === "true" ? day : undefined,
        openedBefore:
          q.olderThanDays !== undefined
            ? new Date(now().getTime() - q.olderThanDays * 86_400_000).toISOString()
            : undefined,
        sort: q.sort,
        after: q.after !== undefined ? decodeCursor(q.sort, q.after) : undefined,
        limit: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      return {
        items: page.map((r) => {
          const evidence = r.evidence ? (JSON.parse(r.evidence) as Record<string, unknown>) : {};
          const rule = ruleInfo(r.village_code, r.rule_id);
          return {
            id: Number(r.id),
            householdNumber: r.household_number,
            headName: r.head_name,
            villageCode: r.village_code,
            villageName: r.village_name,
            townName: r.town_name,
            rule: r.rule_id,
            name: rule?.name ?? r.rule_id,
            code: r.code ?? "",
            category: r.category,
            severity: r.severity,
            message: rule ? renderMessage(rule.message, evidence) : r.rule_id,
            evidence,
            status: r.status,
            openedAt: r.opened_at,
            deadline: r.deadline,
            resolvedAt: r.resolved_at,
            resolution: r.resolution,
            verification:
              r.task_id === null
                ? null
                : {
                    id: Number(r.task_id),
                    status: r.task_status as "open" | "done",
                    assignedRegion: r.assigned_region,
                    assignedRegionName: r.assigned_region_name,
                    deadline: r.task_deadline!,
                    overdue: r.task_status === "open" && r.task_deadline! < day,
                    outcome: r.outcome,
                    outcomeReason: r.outcome_reason,
                    version: Number(r.task_version),
                  },
          };
        }),
        next:
          rows.length > q.limit
            ? encodeCursor(q.sort, {
                key: sortKeyOf(q.sort, page.at(-1)!),
                id: Number(page.at(-1)!.id),
              })
            : null,
      };
    },

    /** Counts for the inbox: by rule, and by the next region level below the root. */
    async summary(actor: Actor, region?: string) {
      assertCan(actor, "signal.read");
      const repo = createSignalsRepository(db);
      const range = rangeOf(actor, region);
      const root = region ?? actor.regionCode ?? "";
      const childLength = CODE_LENGTHS.find((n) => n > root.length) ?? 12;
      const [byRule, byRegion] = [
        await repo.byRule(range),
        await repo.byRegion(range, childLength, today()),
      ];
      const overdue = new Map(byRegion.overdue.map((r) => [r.code, Number(r.n)]));
      const names = new Map(
        (await repo.regionNames(byRegion.open.map((r) => r.code))).map((r) => [r.code, r.name]),
      );
      const sample = root.length >= 6 ? root : "360726";
      return {
        open: byRule.reduce((a, r) => a + Number(r.n), 0),
        overdue: [...overdue.values()].reduce((a, b) => a + b, 0),
        byRule: byRule.map((r) => ({
          rule: r.rule_id,
          name: ruleInfo(sample, r.rule_id)?.name ?? r.rule_id,
          category: r.category,
          severity: r.severity,
          open: Number(r.n),
        })),
        byRegion: byRegion.open
          .map((r) => ({
            code: r.code,
            name: names.get(r.code) ?? null,
            open: Number(r.n),
            overdue: overdue.get(r.code) ?? 0,
          }))
          .sort((a, b) => a.code.localeCompare(b.code)),
      };
    },

    /** Sends a verification to a town or village below the household's county, within scope. */
    async assign(actor: Actor, id: number, input: { version: number; region: string }) {
      assertCan(actor, "verification.assign");
      const repo = createSignalsRepository(db);
      const task = await repo.findTask(id, rangeOf(actor));
      if (!task)
        throw notFound(`核实任务 ${id} 不存在或不在您的管辖范围内`, {
          code: "verification_not_found",
        });
      if (task.status !== "open") throw invalid("该核实任务已办结", { code: "verification_done" });
      if (!task.village_code.startsWith(input.region) || !inScope(actor, input.region)) {
        throw invalid("只能指派给该户所在的乡镇或行政村", {
          field: "region",
          code: "verification_region",
        });
      }
      const at = now().toISOString();
      if (
        !(await repo.updateTask(id, input.version, {
          assigned_region: input.region,
          updated_at: at,
        }))
      ) {
        throw conflict("该核实任务已被他人修改，请刷新后重试", { code: "version_conflict" });
      }
      await repo.insertTaskEvent({
        verification_id: id,
        at,
        actor_name: actor.username,
        kind: "assigned",
        data: JSON.stringify({ region: input.region }),
      });
      await audit(db, actor, at, "verification.assign", {
        targetType: "verification",
        targetId: String(id),
        regionCode: task.village_code,
      });
    },

    /** Records the outcome of a verification; a dismissal needs a reason. */
    async recordOutcome(actor: Actor, id: number, input: OutcomeInput) {
      assertCan(actor, "verification.record");
      const repo = createSignalsRepository(db);
      const task = await repo.findTask(id, rangeOf(actor));
      if (!task)
        throw notFound(`核实任务 ${id} 不存在或不在您的管辖范围内`, {
          code: "verification_not_found",
        });
      if (task.status !== "open") throw invalid("该核实任务已办结", { code: "verification_done" });
      const at = now().toISOString();
      const ok = await repo.updateTask(id, input.version, {
        status: "done",
        outcome: input.outcome,
        outcome_reason: input.reason ?? null,
        updated_at: at,
      });
      if (!ok) throw conflict("该核实任务已被他人修改，请刷新后重试", { code: "version_conflict" });
      await repo.insertTaskEvent({
        verification_id: id,
        at,
        actor_name: actor.username,
        kind: "outcome",
        data: JSON.stringify({ outcome: input.outcome, reason: input.reason ?? null }),
      });
      await audit(db, actor, at, "verification.record", {
        targetType: "verification",
        targetId: String(id),
        regionCode: task.village_code,
        detail: { outcome: input.outcome },
      });
    },

    async history(actor: Actor, id: number) {
      assertCan(actor, "signal.read");
      const repo = createSignalsRepository(db);
      if (!(await repo.findTask(id, rangeOf(actor))))
        throw notFound(`核实任务 ${id} 不存在或不在您的管辖范围内`, {
          code: "verification_not_found",
        });
      return (await repo.taskEvents(id)).map((e) => ({
        at: e.at,
        actor: e.actor_name,
        kind: e.kind,
        data: e.data ? (JSON.parse(e.data) as unknown) : null,
      }));
    },
  };
}
export type SignalsService = ReturnType<typeof createSignalsService>;
