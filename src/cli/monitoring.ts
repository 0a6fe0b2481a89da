import { readFileSync } from "node:fs";
import { notFound } from "../core/errors.ts";
import { SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { createPolicyService } from "../modules/policy/index.ts";
import { createServices } from "../server/services.ts";
import { type Command, openDatabase, required } from "./command.ts";
import { UsageError } from "./output.ts";

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new UsageError(`无法读取文件 ${path}`);
  }
}

export const sweepCommand: Command = {
  name: "sweep",
  summary: "按政策规则筛查全部农户，生成或关闭预警",
  usage: "fangpin sweep [--db <url>] [--region CODE] [--policy FILE] [--json]",
  options: { region: { type: "string" }, policy: { type: "string" } },
  async run({ values }, out) {
    const database = await openDatabase(values);
    try {
      const services = createServices({ database });
      await services.policyVersions.refresh();
      const policyFile = values.policy as string | undefined;
      const policy = policyFile
        ? services.policies.fromText(readText(policyFile), policyFile)
        : undefined;
      const r = await services.monitoring.sweep(SYSTEM_ACTOR, {
        region: values.region as string | undefined,
        policy,
      });
      out.result(
        { households: r.households, signals: r.signals, byRule: r.byRule, ms: r.ms },
        `筛查 ${r.households} 户：新增预警 ${r.signals.opened}，关闭 ${r.signals.resolved}，现有 ${r.signals.open}（${r.ms} 毫秒）`,
      );
    } finally {
      await database.close();
    }
  },
};

export const signalsCommand: Command = {
  name: "signals",
  summary: "列出一户的未关闭预警",
  usage: "fangpin signals --household <户编号> [--db <url>] [--json]",
  options: { household: { type: "string" } },
  async run({ values }, out) {
    const householdNumber = required(values, "household", this);
    const database = await openDatabase(values);
    try {
      const services = createServices({ database });
      await services.policyVersions.refresh();
      const h = await services.registry.get(SYSTEM_ACTOR, householdNumber);
      const id = await services.registry.idOf(householdNumber);
      if (id === null)
        throw notFound(`户编号 ${householdNumber} 不存在`, { code: "household_not_found" });
      const signals = (
        await services.monitoring.openSignals(id, h.household.villageCode ?? "")
      ).map((s) => ({
        rule: s.rule,
        code: s.code,
        category: s.category,
        severity: s.severity,
        message: s.message,
        evidence: s.evidence,
      }));
      out.result(
        { signals },
        signals.length
          ? signals.map((s) => `[${s.severity}] ${s.rule}：${s.message}`).join("\n")
          : "没有未关闭的预警",
      );
    } finally {
      await database.close();
    }
  },
};

export const policyCheckCommand: Command = {
  name: "policy check",
  summary: "检查政策文件（格式、继承关系和每条规则）",
  usage: "fangpin policy check FILE [--json]",
  options: {},
  positionals: true,
  async run({ positionals }, out) {
    const file = positionals[0];
    if (!file || positionals.length > 1)
      throw new UsageError(`请给出一个政策文件\n用法：${this.usage}`);
    const r = createPolicyService().check(readText(file), file);
    if (r.ok) {
      out.result({ ok: true }, `政策文件无误：${r.policy.rules.length} 条规则`);
      return;
    }
    const errors = r.errors.map((e) => ({
      rule: e.rule,
      part: e.part,
      message: e.message,
      position: e.position,
    }));
    out.result(
      { ok: false, errors },
      errors
        .map((e) => `规则 ${e.rule}（${e.part}，第 ${e.position + 1} 个字符）：${e.message}`)
        .join("\n"),
    );
    process.exitCode = 2;
  },
};
