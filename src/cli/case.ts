/**
 * `fangpin case …`: open a case, move it on, show it; post a village's notice and approve or
 * announce many cases at once. Every change is made as the user named by --as, with that
 * user's role and region, exactly as in the web.
 */
import { AppError } from "../core/errors.ts";
import {
  codeFor,
  ELIMINATION_METHODS,
  MONITORING_CATEGORIES,
  RISK_FACTORS,
} from "../core/vocab.ts";
import { CASE_TYPES, STATUS_LABELS } from "../core/workflow.ts";
import { type Actor, SYSTEM_ACTOR } from "../modules/auth/index.ts";
import type { CaseDetail, OpenCaseInput } from "../modules/cases/index.ts";
import type { Services } from "../server/services.ts";
import { type Command, required } from "./command.ts";
import { actorOption } from "./export.ts";
import { type Output, UsageError } from "./output.ts";
import { withServices } from "./with-services.ts";

async function asUser(services: Services, values: Record<string, unknown>, command: Command) {
  return actorOption(services, required(values, "as", command), SYSTEM_ACTOR);
}

/**
 * A refusal that carries reasons (conditions that do not hold) is printed with them and exits
 * 2; other errors go the usual way.
 */
async function reportingReasons(out: Output, run: () => Promise<void>) {
  try {
    await run();
  } catch (e) {
    const reasons = e instanceof AppError ? e.detail?.reasons : undefined;
    if (!(e instanceof AppError) || !Array.isArray(reasons)) throw e;
    out.result(
      { error: { kind: e.kind, code: e.code, message: e.message, reasons } },
      `不能办理：\n${reasons.map((r) => `  - ${r}`).join("\n")}`,
    );
    process.exitCode = 2;
  }
}

/** The case as `case show` prints it. */
function summary(c: CaseDetail) {
  return {
    case: c.case,
    type: c.type,
    state: c.state,
    household: c.household,
    steps: c.steps.map((s) => ({ step: s.step, state: s.state, actor: s.actor, at: s.at })),
    deadline: c.deadline,
  };
}

function human(c: CaseDetail): string {
  const mark = { done: "✔", active: "▶", pending: " " } as const;
  return [
    `${c.case}  ${c.typeName}  户编号 ${c.household}（${c.headName ?? ""}）`,
    `状态：${c.stepName ?? STATUS_LABELS[c.status as keyof typeof STATUS_LABELS] ?? c.state}    期限：${c.deadline ?? "—"}${c.overdue ? "（已逾期）" : ""}`,
    ...(c.notice ? [`公示期：${c.notice.startsOn} 至 ${c.notice.endsOn}`] : []),
    ...c.steps.map((s) => `  ${mark[s.state]} ${s.name}${s.actor ? `  ${s.actor}  ${s.at}` : ""}`),
  ].join("\n");
}

/** Values of a repeatable option, also split at commas and 、 (`--risk 因病,因残`). */
function listOption(value: unknown, extra: readonly string[] = []): string[] {
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return [...items, ...extra]
    .flatMap((v) => String(v).split(/[,，、]/))
    .map((v) => v.trim())
    .filter(Boolean);
}

function vocabOption<V extends Parameters<typeof codeFor>[0]>(
  vocab: V,
  text: string,
  option: string,
): string {
  const code = codeFor(vocab, text);
  if (!code)
    throw new UsageError(
      `--${option} 应为 ${vocab.map((v) => v.zh).join("、")} 之一（收到 ${text}）`,
    );
  return code;
}

export const caseOpenCommand: Command = {
  name: "case open",
  summary:
    "立案：识别、风险消除、兜底保障、退出、更正、迁移、注销（不符合条件时列出理由，退出码 2）",
  usage: [
    "fangpin case open --household <户编号> --type <类型> --as <用户名> [选项] [--db <url>] [--json]",
    `  --type          ${CASE_TYPES.join(" | ")}`,
    "  --category      监测对象类别（识别）：脱贫不稳定户 | 边缘易致贫户 | 突发严重困难户",
    "  --risk          致贫/返贫风险（识别），可重复或用逗号分隔：--risk 因病 --risk 因残",
    "  --elimination   风险消除方式：帮扶消除（默认）| 自然消除",
    "  --to-village    迁入的行政村代码（迁移）",
    "  --reason        注销原因：death（全户死亡）| moved_away（全户迁出）",
    "  --lead-source   线索来源：self_report | cadre（默认）| screening | hotline",
    "  --lead-date     发现线索日期 YYYY-MM-DD（期限从此日起算，默认今天）",
    "  --green-channel 绿色通道（因灾、意外事故：先帮扶后识别）",
    "  --comment       备注",
    '输出：{"case":"<案件编号>","state":"<当前步骤>","deadline":"YYYY-MM-DD"}',
  ].join("\n"),
  options: {
    household: { type: "string" },
    type: { type: "string" },
    category: { type: "string" },
    risk: { type: "string", multiple: true },
    elimination: { type: "string" },
    "to-village": { type: "string" },
    reason: { type: "string" },
    "lead-source": { type: "string" },
    "lead-date": { type: "string" },
    "green-channel": { type: "boolean" },
    comment: { type: "string" },
    as: { type: "string" },
  },
  // `--risk 因病 因残`: the words after the first are positionals.
  positionals: true,
  async run({ values, positionals }, out) {
    const householdNumber = required(values, "household", this);
    const type = required(values, "type", this);
    if (!(CASE_TYPES as readonly string[]).includes(type))
      throw new UsageError(`--type 应为 ${CASE_TYPES.join("、")} 之一\n用法：${this.usage}`);
    if (positionals.length > 0 && values.risk === undefined)
      throw new UsageError(`多余的参数：${positionals.join(" ")}\n用法：${this.usage}`);
    const input: OpenCaseInput = {
      householdNumber,
      type: type as OpenCaseInput["type"],
      ...(values.category
        ? { category: vocabOption(MONITORING_CATEGORIES, String(values.category), "category") }
        : {}),
      ...(values.risk !== undefined
        ? {
            riskFactors: listOption(values.risk, positionals).map((r) =>
              vocabOption(RISK_FACTORS, r, "risk"),
            ),
          }
        : {}),
      ...(values.elimination
        ? {
            eliminationMethod: vocabOption(
              ELIMINATION_METHODS,
              String(values.elimination),
              "elimination",
            ),
          }
        : {}),
      ...(values["to-village"] ? { targetVillage: String(values["to-village"]) } : {}),
      ...(values.reason ? { deregistrationReason: String(values.reason) as "death" } : {}),
      ...(values["lead-source"] ? { leadSource: String(values["lead-source"]) as "cadre" } : {}),
      ...(values["lead-date"] ? { leadDate: String(values["lead-date"]) } : {}),
      ...(values["green-channel"] ? { greenChannel: true } : {}),
      ...(values.comment ? { comment: String(values.comment) } : {}),
    };
    await withServices(values, async (services) => {
      const actor = await asUser(services, values, this);
      await reportingReasons(out, async () => {
        const c = await services.cases.open(actor, input);
        out.result(
          { case: c.case, state: c.state, deadline: c.deadline },
          `已立案 ${c.case}（${c.typeName}），当前步骤：${c.stepName}，期限 ${c.deadline ?? "—"}`,
        );
      });
    });
  },
};

export const caseAdvanceCommand: Command = {
  name: "case advance",
  summary: "办结案件的当前步骤，进入下一步（--to 之前的步骤则退回，须 --comment 说明理由）",
  usage:
    "fangpin case advance <案件编号> --as <用户名> [--to 步骤] [--comment 文字] [--data JSON] [--db <url>] [--json]\n" +
    "  公示步骤：第一次办理张贴公示（仅本案），公示期满后再办理进入下一步。\n" +
    '  --data 记录本步骤的内容，如 \'{"date":"2026-07-01","attendees":30,"votesFor":28}\'\n' +
    '输出同 case show：{"case","type","state","household","steps":[{"step","state","actor","at"}],"deadline"}',
  options: {
    as: { type: "string" },
    to: { type: "string" },
    comment: { type: "string" },
    data: { type: "string" },
  },
  positionals: true,
  async run({ values, positionals }, out) {
    const number = positionals[0];
    if (!number || positionals.length > 1)
      throw new UsageError(`请给出一个案件编号\n用法：${this.usage}`);
    let data: unknown;
    if (values.data !== undefined) {
      try {
        data = JSON.parse(String(values.data));
      } catch {
        throw new UsageError("--data 应为 JSON 对象");
      }
    }
    await withServices(values, async (services) => {
      const actor: Actor = await asUser(services, values, this);
      await reportingReasons(out, async () => {
        const c = await services.cases.advance(actor, number, {
          ...(values.to ? { to: String(values.to) } : {}),
          ...(values.comment ? { comment: String(values.comment) } : {}),
          ...(data !== undefined ? { data: data as Record<string, never> } : {}),
        });
        out.result(summary(c), human(c));
      });
    });
  },
};

export const caseShowCommand: Command = {
  name: "case show",
  summary: "显示案件：类型、状态、各步骤（办理人、时间）和期限",
  usage:
    "fangpin case show <案件编号> [--as 用户名] [--db <url>] [--json]\n" +
    '输出：{"case","type","state","household","steps":[{"step","state","actor","at"}],"deadline"}',
  options: { as: { type: "string" } },
  positionals: true,
  async run({ values, positionals }, out) {
    const number = positionals[0];
    if (!number || positionals.length > 1)
      throw new UsageError(`请给出一个案件编号\n用法：${this.usage}`);
    await withServices(values, async (services) => {
      const actor = await actorOption(services, values.as, SYSTEM_ACTOR);
      const c = await services.cases.get(actor, number);
      out.result(summary(c), human(c));
    });
  },
};

export const caseNoticeCommand: Command = {
  name: "case notice",
  summary: "张贴一个村的公示（所列案件均在公示步骤），公示期从今天起",
  usage:
    "fangpin case notice --village <行政村代码> --cases <案件编号,…> --as <用户名> [--deliberation-date YYYY-MM-DD] [--village-phone 电话] [--town-phone 电话] [--db <url>] [--json]",
  options: {
    village: { type: "string" },
    cases: { type: "string", multiple: true },
    as: { type: "string" },
    "deliberation-date": { type: "string" },
    "village-phone": { type: "string" },
    "town-phone": { type: "string" },
  },
  async run({ values }, out) {
    const village = required(values, "village", this);
    const cases = listOption(values.cases);
    if (cases.length === 0) throw new UsageError(`缺少 --cases\n用法：${this.usage}`);
    await withServices(values, async (services) => {
      const actor = await asUser(services, values, this);
      await reportingReasons(out, async () => {
        const b = await services.cases.postNotice(actor, {
          village,
          cases,
          ...(values["deliberation-date"]
            ? { deliberationDate: String(values["deliberation-date"]) }
            : {}),
          ...(values["village-phone"] ? { villagePhone: String(values["village-phone"]) } : {}),
          ...(values["town-phone"] ? { townPhone: String(values["town-phone"]) } : {}),
        });
        out.result(
          { batch: b.id, title: b.title, startsOn: b.startsOn, endsOn: b.endsOn, cases },
          `已张贴“${b.title}”，公示期 ${b.startsOn} 至 ${b.endsOn}；公开页面：/notices/${village}`,
        );
      });
    });
  },
};

function batchCommand(name: "approve" | "announce"): Command {
  const what = name === "approve" ? "审定" : "公告";
  return {
    name: `case ${name}`,
    summary: `批量${what}（全部符合条件才办理，否则列出每个案件的理由，退出码 2）`,
    usage: `fangpin case ${name} --cases <案件编号,…> --as <用户名> [--comment 文字] [--db <url>] [--json]`,
    options: {
      cases: { type: "string", multiple: true },
      as: { type: "string" },
      comment: { type: "string" },
    },
    async run({ values }, out) {
      const cases = listOption(values.cases);
      if (cases.length === 0) throw new UsageError(`缺少 --cases\n用法：${this.usage}`);
      await withServices(values, async (services) => {
        const actor = await asUser(services, values, this);
        await reportingReasons(out, async () => {
          const input = values.comment ? { comment: String(values.comment) } : {};
          const r =
            name === "approve"
              ? await services.cases.approveMany(actor, cases, input)
              : await services.cases.announceMany(actor, cases, input);
          out.result({ cases: r.cases }, `已${what} ${r.cases.length} 个案件`);
        });
      });
    },
  };
}

export const caseApproveCommand = batchCommand("approve");
export const caseAnnounceCommand = batchCommand("announce");
