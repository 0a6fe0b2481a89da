/** Compiles a policy's rules: type-checked CEL, ready for SQL (sweeps) and JS (previews). */
import { type Node, parseRule, RuleSyntaxError } from "../../core/rules/ast.ts";
import { type Checked, checkRule, RuleTypeError } from "../../core/rules/check.ts";
import { type FactContext, factContext } from "../../core/rules/context.ts";
import {
  compileSql,
  factSourcesSql,
  feedTypesRead,
  type MemberAggregates,
  type SqlEngine,
} from "../../core/rules/sql.ts";
import { type Days, stepId, type WorkflowDef } from "../../core/workflow.ts";
import type { EffectivePolicy, Rule } from "./policy.schema.ts";

export interface RuleError {
  rule: string;
  /** `when` or `evidence.<name>` */
  part: string;
  message: string;
  /** Offset in that expression's source. */
  position: number;
}

export interface CompiledRule {
  rule: Rule;
  when: Checked;
  evidence: Record<string, Checked>;
}

function compileExpr(
  source: string,
  params: EffectivePolicy["parameters"],
  facts: FactContext = {},
): Checked {
  const node: Node = parseRule(source);
  return checkRule(node, params, facts);
}

/** Compiles a guard of a case workflow: a CEL condition that must be a truth value. */
export function compileGuard(source: string, params: EffectivePolicy["parameters"]): Checked {
  const checked = compileExpr(source, params);
  if (checked.type.kind !== "bool" && checked.type.kind !== "any")
    throw new RuleTypeError("条件的结果应为真假值（bool）", 0);
  return checked;
}

/** Every error in the case workflows: guards that do not compile, deadlines that do not exist. */
function workflowErrors(
  workflows: Partial<Record<string, WorkflowDef>>,
  policy: Pick<EffectivePolicy, "parameters" | "deadlines">,
): RuleError[] {
  const errors: RuleError[] = [];
  for (const [type, w] of Object.entries(workflows)) {
    if (!w) continue;
    const rule = `workflows.${type}`;
    const checkDays = (days: Days | undefined, part: string) => {
      if (typeof days === "string" && policy.deadlines[days] === undefined)
        errors.push({ rule, part, message: `deadlines 中没有 ${days}`, position: 0 });
    };
    checkDays(w.deadline, "deadline");
    const guards = [
      ...(w.conditions ?? []).map((g) => [`conditions.${g.id}`, g.when] as const),
      ...w.steps.flatMap((s) => {
        checkDays(s.days, `steps.${stepId(s)}.days`);
        return (s.guards ?? []).map((g) => [`steps.${stepId(s)}.guards.${g.id}`, g.when] as const);
      }),
    ];
    for (const [part, source] of guards) {
      try {
        compileGuard(source, policy.parameters);
      } catch (e) {
        if (!(e instanceof RuleSyntaxError || e instanceof RuleTypeError)) throw e;
        errors.push({ rule, part, message: e.message, position: e.position });
      }
    }
  }
  return errors;
}

/** Compiles every rule; returns the compiled rules and every error found (not just the first). */
export function compilePolicy(
  policy: Pick<EffectivePolicy, "rules" | "parameters"> &
    Partial<Pick<EffectivePolicy, "workflows" | "deadlines" | "appliesTo" | "feeds">>,
): {
  rules: CompiledRule[];
  errors: RuleError[];
} {
  const rules: CompiledRule[] = [];
  const errors: RuleError[] = [];
  let appliesTo: string | null = null;
  if (policy.appliesTo) {
    try {
      compileGuard(policy.appliesTo, policy.parameters);
      appliesTo = policy.appliesTo;
    } catch (e) {
      if (!(e instanceof RuleSyntaxError || e instanceof RuleTypeError)) throw e;
      errors.push({ rule: "appliesTo", part: "when", message: e.message, position: e.position });
    }
  }
  // Rules read department data as `facts.<name>`, typed by the policy's feed definitions.
  const facts = factContext(policy.feeds ?? {});
  for (const rule of policy.rules) {
    const parts: [string, string][] = [
      ["when", rule.when],
      ...Object.entries(rule.evidence).map(([k, v]) => [`evidence.${k}`, v] as [string, string]),
    ];
    const compiled: Partial<CompiledRule> & { evidence: Record<string, Checked> } = {
      rule,
      evidence: {},
    };
    let ok = true;
    for (const [part, source] of parts) {
      try {
        const checked = compileExpr(source, policy.parameters, facts);
        if (part === "when") {
          if (checked.type.kind !== "bool" && checked.type.kind !== "any") {
            throw new RuleTypeError("规则条件的结果应为真假值（bool）", 0);
          }
          // Positions in errors refer to the rule as written: the scope is added once it compiles.
          compiled.when = appliesTo
            ? compileExpr(`(${appliesTo}) && (${source})`, policy.parameters, facts)
            : checked;
        } else compiled.evidence[part.slice("evidence.".length)] = checked;
      } catch (e) {
        if (!(e instanceof RuleSyntaxError || e instanceof RuleTypeError)) throw e;
        ok = false;
        errors.push({ rule: rule.id, part, message: e.message, position: e.position });
      }
    }
    if (ok) rules.push(compiled as CompiledRule);
  }
  if (policy.workflows)
    errors.push(
      ...workflowErrors(policy.workflows, {
        parameters: policy.parameters,
        deadlines: policy.deadlines ?? {},
      }),
    );
  return { rules, errors };
}

/** SQL of a compiled rule's condition and evidence for one engine and date. */
export function ruleSql(
  rule: CompiledRule,
  policy: Pick<EffectivePolicy, "parameters">,
  engine: SqlEngine,
  today: string,
  h = "h",
  aggregates?: MemberAggregates,
) {
  const opts = { engine, params: policy.parameters, today, h, aggregates };
  // Evidence is stored as JSON built in SQL. SQLite has no boolean type (a condition is 0 or 1),
  // so a boolean is turned into JSON true/false there, as PostgreSQL's json_build_object does.
  const evidenceSql = (c: Checked) => {
    const expr = compileSql(c, opts);
    return engine === "sqlite" && c.type.kind === "bool"
      ? `(CASE WHEN (${expr}) THEN json('true') WHEN NOT (${expr}) THEN json('false') END)`
      : expr;
  };
  const evidence = Object.fromEntries(
    Object.entries(rule.evidence).map(([k, c]) => [k, evidenceSql(c)]),
  );
  // A rule on department data keeps the source rows of the facts it read (file and row).
  const feeds = feedTypesRead(rule.when);
  if (feeds.length > 0 && !("sources" in evidence))
    evidence.sources = factSourcesSql(feeds, engine, h);
  return { when: compileSql(rule.when, opts), evidence };
}
