/**
 * The policy editor's draft: changed parameters, changed rule conditions and new rules, kept
 * apart from the policy in force. It becomes a policy file that `extends` the one in force and
 * holds only what changed — what the server checks and previews.
 */
import { stringify } from "yaml";
import type { DraftRule, ParamValue, Policy, PolicyRule } from "../monitoring/monitoring-api.ts";

/** A rule added in the editor (all of it is new). */
export interface NewRule {
  id: string;
  name: string;
  category: string;
  severity: string;
  verify: boolean;
  when: string;
  message: string;
  evidence: Record<string, string>;
}

export interface Draft {
  /** Parameters whose value differs from the policy in force. */
  parameters: Record<string, ParamValue>;
  /** New conditions of existing rules, by rule id. */
  conditions: Record<string, string>;
  added: NewRule[];
}

export const EMPTY_DRAFT: Draft = { parameters: {}, conditions: {}, added: [] };

export function changeCount(d: Draft): number {
  return Object.keys(d.parameters).length + Object.keys(d.conditions).length + d.added.length;
}

/** Sets a parameter; back to the value in force means unchanged. */
export function withParameter(
  d: Draft,
  policy: Policy,
  name: string,
  value: ParamValue | null,
): Draft {
  const parameters = { ...d.parameters };
  if (value === null || value === policy.parameters[name]) delete parameters[name];
  else parameters[name] = value;
  return { ...d, parameters };
}

/** Sets a rule's condition; back to the condition in force means unchanged. */
export function withCondition(d: Draft, rule: PolicyRule, when: string | null): Draft {
  const conditions = { ...d.conditions };
  if (when === null || when === rule.when) delete conditions[rule.id];
  else conditions[rule.id] = when;
  return { ...d, conditions };
}

/** The rules the draft changes or adds, as the preview takes them. */
export function draftRules(d: Draft): DraftRule[] {
  return [
    ...Object.entries(d.conditions).map(([id, when]) => ({ id, when })),
    ...d.added.map((r) => ({ ...r })),
  ];
}

/** Where the draft applies: the user's county (or province), as the policy in force does. */
export function draftScope(region: string) {
  const code =
    region.length >= 6 ? region.slice(0, 6) : region.length >= 2 ? region.slice(0, 2) : null;
  const level = code === null ? "national" : code.length === 6 ? "county" : "province";
  return { level, code };
}

/**
 * A new policy id for a version made in the web: each publication is a file of its own that
 * extends the one in force, so the chain records every change and nothing published changes.
 */
export function webPolicyId(policy: Policy, region: string, now = Date.now()): string {
  const { level, code } = draftScope(region);
  return `${level}-${code ?? "cn"}-${policy.year}-web-${now.toString(36)}`;
}

/** The draft as a policy file extending the policy in force, with only what changed. */
export function draftYaml(policy: Policy, region: string, d: Draft, id: string): string {
  const { level, code } = draftScope(region);
  const file: Record<string, unknown> = {
    id,
    level,
    ...(code ? { region: code } : {}),
    year: policy.year,
    extends: policy.id,
    title: `${policy.id} 修改草稿`,
  };
  if (Object.keys(d.parameters).length > 0) file.parameters = d.parameters;
  const rules = draftRules(d).map((r) => {
    const { evidence, ...rest } = r;
    return evidence && Object.keys(evidence).length > 0 ? { ...rest, evidence } : rest;
  });
  if (rules.length > 0) file.rules = rules;
  return stringify(file, { lineWidth: 0 });
}

/** `name: expression` lines (the new-rule form's evidence) as a record; null when a line is not. */
export function parseEvidence(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*[:：]\s*(.+?)\s*$/.exec(line);
    if (!m) return null;
    out[m[1]!] = m[2]!;
  }
  return out;
}
