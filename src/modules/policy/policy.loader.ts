/** Reads policy files and resolves what is in force for a region and year. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { invalid, notFound } from "../../core/errors.ts";
import {
  type EffectivePolicy,
  type PolicyFile,
  policyFileSchema,
  type Rule,
  ruleSchema,
} from "./policy.schema.ts";

export const POLICY_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../../policies");

/** Parses and validates one policy file's text; errors name the file and the field. */
export function parsePolicy(text: string, name: string): PolicyFile {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    const line = e instanceof YAMLParseError ? e.linePos?.[0]?.line : undefined;
    throw invalid(
      `${name}${line ? ` 第 ${line} 行` : ""}：YAML 格式错误：${e instanceof Error ? e.message.split("\n")[0] : String(e)}`,
      {
        code: "policy_yaml",
      },
    );
  }
  const parsed = policyFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join(".");
    throw invalid(`${name}：${path ? `${path}：` : ""}${issue.message}`, {
      code: "policy_invalid",
      field: path,
    });
  }
  return parsed.data;
}

/** Every policy file under a folder, by id. */
export function loadPolicyFiles(dir: string = POLICY_DIR): Map<string, PolicyFile> {
  const files = new Map<string, PolicyFile>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(entry)) {
        const p = parsePolicy(readFileSync(path, "utf8"), relative(dir, path));
        if (files.has(p.id))
          throw invalid(`政策编号 ${p.id} 重复（${relative(dir, path)}）`, {
            code: "policy_duplicate",
          });
        files.set(p.id, p);
      }
    }
  };
  walk(dir);
  return files;
}

/** The most specific policy for a region and year: the county's, else the province's, else national. */
export function pickPolicy(
  files: Map<string, PolicyFile>,
  region: string | null,
  year: number,
): PolicyFile {
  const candidates = [...files.values()].filter((p) => p.year <= year);
  // The newest year; within it the leaf, i.e. the file no other file of the same year extends
  // (a version published in the web extends the shipped file it changes).
  const latest = (list: PolicyFile[]) => {
    const year = Math.max(...list.map((p) => p.year));
    const sameYear = list.filter((p) => p.year === year);
    return sameYear.find((p) => !sameYear.some((q) => q.extends === p.id)) ?? sameYear[0];
  };
  const county =
    region && region.length >= 6
      ? latest(candidates.filter((p) => p.level === "county" && p.region === region.slice(0, 6)))
      : undefined;
  const province = region
    ? latest(candidates.filter((p) => p.level === "province" && p.region === region.slice(0, 2)))
    : undefined;
  const national = latest(candidates.filter((p) => p.level === "national"));
  const picked = county ?? province ?? national;
  if (!picked) throw notFound(`没有 ${year} 年及以前的政策文件`, { code: "policy_not_found" });
  return picked;
}

/** Applies a policy's chain of `extends`, national first. */
export function resolvePolicy(files: Map<string, PolicyFile>, leaf: PolicyFile): EffectivePolicy {
  const chain: PolicyFile[] = [];
  for (let p: PolicyFile | undefined = leaf; p; p = p.extends ? files.get(p.extends) : undefined) {
    if (chain.includes(p))
      throw invalid(`政策 ${p.id} 的 extends 形成了循环`, { code: "policy_cycle" });
    chain.unshift(p);
    if (p.extends && !files.has(p.extends))
      throw invalid(`政策 ${p.id} 继承的 ${p.extends} 不存在`, { code: "policy_parent_missing" });
  }
  const out: EffectivePolicy = {
    chain: chain.map((p) => p.id),
    region: leaf.region ?? null,
    year: leaf.year,
    parameters: {},
    income: { countedTransfers: ["*"] },
    deadlines: {},
    quotas: {},
    measures: [],
    // Null until a file in the chain sets it (the national file does).
    assistance: {
      visitEveryDays: null,
      leaderVisitEveryDays: null,
      workTeamMinDays: null,
      ranks: {},
      riskMeasures: {},
    },
    rules: [],
    workflows: {},
    feeds: {},
    homophones: [],
  };
  const rules = new Map<string, Partial<Rule> & { id: string }>();
  for (const p of chain) {
    Object.assign(out.parameters, p.parameters);
    Object.assign(out.deadlines, p.deadlines);
    Object.assign(out.quotas, p.quotas);
    Object.assign(out.workflows, p.workflows);
    if (p.appliesTo !== undefined) out.appliesTo = p.appliesTo;
    const { ranks, riskMeasures, ...frequencies } = p.assistance;
    Object.assign(out.assistance, frequencies);
    Object.assign(out.assistance.ranks, ranks);
    Object.assign(out.assistance.riskMeasures, riskMeasures);
    Object.assign(out.feeds, p.feeds);
    if (p.homophones) out.homophones = p.homophones;
    if (p.income.countedTransfers) out.income.countedTransfers = p.income.countedTransfers;
    for (const m of p.measures) {
      const at = out.measures.findIndex((x) => x.code === m.code);
      if (at >= 0) out.measures[at] = m;
      else out.measures.push(m);
    }
    for (const r of p.rules) rules.set(r.id, { ...(rules.get(r.id) ?? {}), ...r });
  }
  for (const r of rules.values()) {
    const full = ruleSchema.safeParse(r);
    if (!full.success) {
      const issue = full.error.issues[0]!;
      throw invalid(
        `规则 ${r.id}：${issue.path.join(".")} ${issue.message}（新规则需写全 name、category、when、message）`,
        {
          code: "policy_rule_incomplete",
          field: `rules.${r.id}`,
        },
      );
    }
    if (full.data.enabled) out.rules.push(full.data);
  }
  return out;
}
