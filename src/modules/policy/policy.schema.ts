/**
 * The policy file format (YAML, in `policies/`). A policy is one region's rules for one year:
 * national defaults, then a province's and a county's overrides, each naming what it
 * `extends`. Lines, deadlines, catalogues, quotas and monitoring rules all live here, so a
 * county changes its monitoring line without a release. See docs/policies.md.
 */
import { z } from "zod";
import {
  BUILTIN_CHECKS,
  CASE_TYPES,
  type CaseType,
  STEP_KINDS,
  type WorkflowDef,
  workflowProblems,
} from "../../core/workflow.ts";
import { ROLES } from "../auth/index.ts";

export const CATEGORIES = [
  "income",
  "education",
  "medical",
  "housing",
  "water",
  "food_clothing",
  "expense",
  "labor",
  "data_quality",
  "eligibility",
  "assistance",
] as const;
export type Category = (typeof CATEGORIES)[number];

export const SEVERITIES = ["high", "medium", "low"] as const;

const ruleId = z
  .string()
  .regex(/^[a-z][a-z0-9_.]*$/, "规则编号只能用小写字母、数字、下划线和点，如 income.below_line");

export const ruleSchema = z.object({
  /** Stable id, e.g. `income.below_line`. */
  id: ruleId,
  /** Problem code in the national style where one exists (`1_11_010`). */
  code: z.string().max(20).optional(),
  /** 规则名称 */
  name: z.string().min(1).max(100),
  category: z.enum(CATEGORIES),
  severity: z.enum(SEVERITIES).default("medium"),
  /** CEL condition over the household context; the household is flagged when it is true. */
  when: z.string().min(1).max(4000),
  /** Message template; `{name}` is replaced by the evidence value of that name. */
  message: z.string().min(1).max(500),
  /** Named CEL expressions whose values are kept with each signal as its evidence. */
  evidence: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().min(1).max(1000))
    .default({}),
  /** Whether a signal asks for a verification visit (risk rules) or only a data fix. */
  verify: z.boolean().default(false),
  /** false switches an inherited rule off. */
  enabled: z.boolean().default(true),
  /** Where the rule comes from (document, article). */
  source: z.string().max(300).optional(),
});
export type Rule = z.infer<typeof ruleSchema>;

/** A rule as written in a file that extends another: everything but the id may be left out. */
export const ruleOverrideSchema = ruleSchema.partial().required({ id: true });

const params = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  z.union([z.number(), z.string(), z.boolean()]),
);

export const measureSchema = z.object({
  /** Measure code, e.g. `industry.subsidy`. */
  code: z.string().regex(/^[a-z][a-z0-9_.]*$/),
  name: z.string().min(1).max(100),
  /** National assistance category (产业帮扶 …). */
  category: z.string().min(1).max(30),
  /** 开发式 — development-type (industry, employment, finance, public-welfare jobs). */
  development: z.boolean().default(false),
});

/**
 * 帮扶 — assistance: how often helpers visit, work-team attendance, the names of the quota ranks
 * and which measure categories answer which risk factor (for coverage, 政策到位率).
 */
export const assistanceSchema = z.object({
  /** 结对帮扶干部到户频次（天）：seed 004「每半个月到村帮扶不少于 1 次」 */
  visitEveryDays: z.number().int().min(1).max(366).optional(),
  /** 帮扶单位领导到村频次（天）：seed 004「每两个月到村调研不少于 1 次」 */
  leaderVisitEveryDays: z.number().int().min(1).max(366).optional(),
  /** 驻村工作队员每月在村最少天数：seed 004「每月不少于 20 天」 */
  workTeamMinDays: z.number().int().min(0).max(31).optional(),
  /** Chinese names of the ranks used as keys of `quotas` (county_leader → 县级领导). */
  ranks: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.string().min(1).max(30)).optional(),
  /** Risk factor code → the measure categories that answer it (因病 → 健康帮扶 …). */
  riskMeasures: z.record(z.string(), z.array(z.string().min(1).max(30)).min(1)).optional(),
});
export type AssistancePolicy = {
  visitEveryDays: number | null;
  leaderVisitEveryDays: number | null;
  workTeamMinDays: number | null;
  ranks: Record<string, string>;
  riskMeasures: Record<string, string[]>;
};

/** A number of days, or the name of an entry of `deadlines` (`noticeDays`). */
const days = z.union([
  z.number().int().min(0).max(3650),
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "期限应为天数或 deadlines 中的名称"),
]);

const guardSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, "条件编号只能用小写字母、数字和下划线"),
  /** CEL condition over the household context that must hold. */
  when: z.string().min(1).max(4000),
  /** Why the case cannot go on when it does not hold. */
  message: z.string().min(1).max(300),
});

const stepSchema = z.object({
  /** Unique within the workflow; defaults to the kind (give one when a kind repeats). */
  id: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/)
    .optional(),
  kind: z.enum(STEP_KINDS),
  name: z.string().min(1).max(40).optional(),
  /** Roles that complete the step (admin always may). */
  roles: z.array(z.enum(ROLES)).min(1),
  /** Notice: minimum period; other steps: days after the step starts that it is due. */
  days: days.optional(),
  guards: z.array(guardSchema).default([]),
  /** Re-check the workflow's conditions before completing this step. */
  recheck: z.boolean().default(false),
});

/** A case type's procedure: its steps in order, who does each, deadlines and guards. */
export const workflowSchema = z
  .object({
    /** 流程名称 */
    name: z.string().min(1).max(60),
    /** Days from the first lead to the decision (approval). */
    deadline: days.optional(),
    /** Guards that must hold to open a case (and at steps that recheck). */
    conditions: z.array(guardSchema).default([]),
    /** Checks implemented in code that need more than the household's data. */
    checks: z.array(z.enum(BUILTIN_CHECKS)).default([]),
    steps: z.array(stepSchema).min(1),
  })
  .superRefine((w, ctx) => {
    for (const message of workflowProblems(w as WorkflowDef))
      ctx.addIssue({ code: "custom", path: ["steps"], message });
  });

/** What a feed column holds, and so how its cells are parsed (see national.reader's parsers). */
export const FEED_COLUMN_KINDS = [
  "text",
  "id_number",
  "money",
  "number",
  "int",
  "date",
  "month",
  "flag",
  "term",
] as const;
export type FeedColumnKind = (typeof FEED_COLUMN_KINDS)[number];

const feedKey = z
  .string()
  .regex(/^[a-z][A-Za-z0-9]*$/, "列名（key）应为小写字母开头的英文驼峰，如 outOfPocket");

export const feedColumnSchema = z
  .object({
    /** Name of the value in the fact (and in rules: `f.<key>`). */
    key: feedKey,
    /** 表头 — the header as departments write it. */
    header: z.string().min(1).max(60),
    /** Other headers seen in real files; compared after folding width, brackets and spaces. */
    aliases: z.array(z.string().min(1).max(60)).default([]),
    kind: z.enum(FEED_COLUMN_KINDS).default("text"),
    /** A row without this value is refused. */
    required: z.boolean().default(false),
    /** For `term`: the allowed values as written in files. */
    terms: z.array(z.string().min(1).max(40)).optional(),
    /** Health or identity details: masked wherever facts are shown. */
    sensitive: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    if (c.kind === "term" && !(c.terms && c.terms.length > 0))
      ctx.addIssue({
        code: "custom",
        path: ["terms"],
        message: `列 ${c.key} 为 term，须列出 terms`,
      });
  });
export type FeedColumn = z.infer<typeof feedColumnSchema>;

/**
 * 部门数据 — a department's data feed: how its file looks and which facts its rows become.
 * A new feed type is a new entry here; no code changes.
 */
export const feedSchema = z
  .object({
    /** 名称, e.g. 医保住院结算 */
    name: z.string().min(1).max(60),
    /** 提供部门, e.g. 县医疗保障局 */
    department: z.string().min(1).max(60),
    columns: z.array(feedColumnSchema).min(1),
    /** The column holding the ID number rows are matched by (kind id_number). */
    idColumn: feedKey,
    /** The column holding the person's name, cross-checked with the registry when given. */
    nameColumn: feedKey.optional(),
    /** Columns whose values identify a fact across files: a row with a known key replaces it. */
    key: z.array(feedKey).min(1),
    /**
     * A month column naming the reporting period: a file covering a period replaces every fact
     * of that period, so a row missing from a corrected file ends its fact.
     */
    period: feedKey.optional(),
    /** The columns (date or month) giving when the fact holds: from, and optionally to. */
    effective: z.object({ from: feedKey, to: feedKey.optional() }),
    /** The list name in the rule context: `facts.<fact>` (e.g. `vehicles`). */
    fact: z.string().regex(/^[a-z][A-Za-z0-9]*$/),
  })
  .superRefine((f, ctx) => {
    const byKey = new Map<string, FeedColumn>();
    f.columns.forEach((c, i) => {
      if (byKey.has(c.key))
        ctx.addIssue({ code: "custom", path: ["columns", i, "key"], message: `列 ${c.key} 重复` });
      byKey.set(c.key, c);
    });
    const need = (path: (string | number)[], key: string, kinds: readonly FeedColumnKind[]) => {
      const c = byKey.get(key);
      if (!c) ctx.addIssue({ code: "custom", path, message: `没有名为 ${key} 的列` });
      else if (!kinds.includes(c.kind))
        ctx.addIssue({
          code: "custom",
          path,
          message: `列 ${key} 应为 ${kinds.join(" 或 ")} 类型`,
        });
      return c;
    };
    const id = need(["idColumn"], f.idColumn, ["id_number"]);
    if (id && !id.required)
      ctx.addIssue({ code: "custom", path: ["idColumn"], message: "证件号码列必须 required" });
    if (f.nameColumn) need(["nameColumn"], f.nameColumn, ["text"]);
    f.key.forEach((k, i) => {
      const c = need(["key", i], k, FEED_COLUMN_KINDS);
      if (c && !c.required)
        ctx.addIssue({ code: "custom", path: ["key", i], message: `行键列 ${k} 必须 required` });
    });
    if (f.period) {
      need(["period"], f.period, ["month"]);
      if (!f.key.includes(f.period))
        ctx.addIssue({ code: "custom", path: ["period"], message: "期间列必须是行键的一部分" });
    }
    const from = need(["effective", "from"], f.effective.from, ["date", "month"]);
    if (from && !from.required)
      ctx.addIssue({
        code: "custom",
        path: ["effective", "from"],
        message: "生效日期列必须 required",
      });
    if (f.effective.to) need(["effective", "to"], f.effective.to, ["date", "month"]);
  });
export type FeedDef = z.infer<typeof feedSchema>;

const feedType = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, "数据类型只能用小写字母、数字和下划线，如 civil_affairs");

export const policyFileSchema = z
  .object({
    /** `national-2026`, `province-36-2026`, `county-360726-2026`. */
    id: z.string().regex(/^[a-z0-9-]+$/),
    level: z.enum(["national", "province", "county"]),
    /** Region code for province (2 digits) and county (6 digits) policies. */
    region: z
      .string()
      .regex(/^(\d{2}|\d{6})$/)
      .optional(),
    year: z.number().int().min(2014).max(2100),
    /** Id of the policy this one overrides. */
    extends: z.string().optional(),
    title: z.string().max(200),
    /** Numbers and texts the rules use as `policy.<name>`. Money in yuan. */
    parameters: params.default({}),
    income: z
      .object({ countedTransfers: z.array(z.string()).min(1) })
      .partial()
      .default({}),
    deadlines: z.record(z.string(), z.number().int().min(0).max(3650)).default({}),
    quotas: z.record(z.string(), z.number().int().min(0).max(1000)).default({}),
    measures: z.array(measureSchema).default([]),
    /**
     * The households the rules watch, as a CEL condition: every rule's `when` is read as
     * `appliesTo && when` (e.g. deregistered households raise nothing). Inherited unless given.
     */
    appliesTo: z.string().max(2000).optional(),
    assistance: assistanceSchema.default({}),
    rules: z.array(ruleOverrideSchema).default([]),
    /** Case procedures by case type; a file that names a type replaces the inherited one. */
    workflows: z.partialRecord(z.enum(CASE_TYPES), workflowSchema).default({}),
    /** Department data feeds by type; a file that names a type replaces the inherited one. */
    feeds: z.record(feedType, feedSchema).default({}),
    /**
     * 同音字 — groups of characters that sound alike (each string one group), for finding names
     * of likely duplicate members; a file that gives the list replaces the inherited one.
     */
    homophones: z.array(z.string().min(2).max(40)).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.level !== "national" && !p.region)
      ctx.addIssue({ code: "custom", path: ["region"], message: "省级和县级政策必须写明 region" });
    if (p.level !== "national" && !p.extends)
      ctx.addIssue({
        code: "custom",
        path: ["extends"],
        message: "省级和县级政策必须写明 extends",
      });
    const facts = new Map<string, string>();
    for (const [type, f] of Object.entries(p.feeds)) {
      const other = facts.get(f.fact);
      if (other)
        ctx.addIssue({
          code: "custom",
          path: ["feeds", type, "fact"],
          message: `数据类型 ${type} 与 ${other} 的 fact 名称 ${f.fact} 重复`,
        });
      facts.set(f.fact, type);
    }
    const seen = new Set<string>();
    p.rules.forEach((r, i) => {
      if (seen.has(r.id))
        ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `规则 ${r.id} 重复` });
      seen.add(r.id);
    });
  });
export type PolicyFile = z.infer<typeof policyFileSchema>;

/** A policy with its inheritance resolved: what is in force for a region and year. */
export interface EffectivePolicy {
  /** Ids of the files applied, national first. */
  chain: string[];
  region: string | null;
  year: number;
  parameters: Record<string, number | string | boolean>;
  income: { countedTransfers: string[] };
  deadlines: Record<string, number>;
  quotas: Record<string, number>;
  measures: z.infer<typeof measureSchema>[];
  /** The households every rule watches (CEL), if limited. */
  appliesTo?: string;
  /** Assistance frequencies, rank names and the risk → measure-category map. */
  assistance: AssistancePolicy;
  /** Enabled rules only, in file order (inherited first). */
  rules: Rule[];
  /** Case procedures by case type. */
  workflows: Partial<Record<CaseType, WorkflowDef>>;
  /** Department data feeds by type. */
  feeds: Record<string, FeedDef>;
  /** Groups of characters that sound alike. */
  homophones: string[];
}
