/**
 * `fangpin cadre add`, `pair`, `measure add` and `measures`: keep assistance cadres, pair them
 * with households under the policy's quotas (refused over quota: exit 2 with the reason), add
 * measures from the policy's catalogue and list a household's measures. Changes are made as
 * the user named by --as, with that user's role and region.
 */
import { chinaDate } from "../core/dates.ts";
import { parseYuan } from "../core/money.ts";
import { MEASURE_STATUSES } from "../modules/assistance/index.ts";
import { SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { type Services, systemClock } from "../server/services.ts";
import { type Command, intOption, required } from "./command.ts";
import { actorOption } from "./export.ts";
import { UsageError } from "./output.ts";
import { withServices } from "./with-services.ts";

const asUser = (services: Services, values: Record<string, unknown>, command: Command) =>
  actorOption(services, required(values, "as", command), SYSTEM_ACTOR);

export const cadreAddCommand: Command = {
  name: "cadre add",
  summary: "新增帮扶干部（职级为政策 quotas 的键：county_leader | section_level | staff | other）",
  usage: [
    "fangpin cadre add --name <姓名> --unit <单位> --rank <职级> --as <用户名> [--phone 电话] [--post 职务] [--region 县或乡镇代码] [--user 帮扶干部账号] [--db <url>] [--json]",
    '输出：{"cadre":"<干部编号>","name":"…","rank":"…","quota":n}',
  ].join("\n"),
  options: {
    name: { type: "string" },
    unit: { type: "string" },
    rank: { type: "string" },
    phone: { type: "string" },
    post: { type: "string" },
    region: { type: "string" },
    user: { type: "string" },
    as: { type: "string" },
  },
  async run({ values }, out) {
    const input = {
      name: required(values, "name", this),
      unit: required(values, "unit", this),
      rank: required(values, "rank", this),
      ...(values.phone ? { phone: String(values.phone) } : {}),
      ...(values.post ? { post: String(values.post) } : {}),
      ...(values.region ? { region: String(values.region) } : {}),
      ...(values.user ? { username: String(values.user) } : {}),
    };
    await withServices(values, async (services) => {
      const actor = await asUser(services, values, this);
      const c = await services.assistance.addCadre(actor, input);
      out.result(
        { cadre: String(c.id), name: c.name, rank: c.rank, quota: c.quota },
        `已新增帮扶干部 ${c.name}（编号 ${c.id}，${c.rankName}，结对名额 ${c.quota ?? "—"} 户）`,
      );
    });
  },
};

export const pairCommand: Command = {
  name: "pair",
  summary: "帮扶干部与农户结对（超出政策结对名额时拒绝，退出码 2）",
  usage: [
    "fangpin pair --cadre <干部编号> --household <户编号> --as <用户名> [--reason 说明] [--db <url>] [--json]",
    '输出：{"pairing":"…","cadre":"…","household":"…"}',
  ].join("\n"),
  options: {
    cadre: { type: "string" },
    household: { type: "string" },
    reason: { type: "string" },
    as: { type: "string" },
  },
  async run({ values }, out) {
    const cadreId = intOption(values, "cadre", 0, 1);
    if (cadreId === 0) throw new UsageError(`缺少 --cadre\n用法：${this.usage}`);
    const householdNumber = required(values, "household", this);
    await withServices(values, async (services) => {
      const actor = await asUser(services, values, this);
      const p = await services.assistance.pair(actor, {
        cadreId,
        householdNumber,
        ...(values.reason ? { reason: String(values.reason) } : {}),
      });
      out.result(p, `已结对：干部 ${p.cadre} 帮扶户 ${p.household}（结对编号 ${p.pairing}）`);
    });
  },
};

export const measureAddCommand: Command = {
  name: "measure add",
  summary: "为农户添加帮扶措施（措施代码取自政策措施目录）",
  usage: [
    "fangpin measure add --household <户编号> --code <措施代码> --as <用户名> [--amount 金额（元）] [--date YYYY-MM-DD] [--status planned|delivered|stopped] [--note 备注] [--db <url>] [--json]",
    '输出：{"measure":"…","category":"…","name":"…","developmentType":bool,"amountFen":n,"status":"…","date":"…"}',
  ].join("\n"),
  options: {
    household: { type: "string" },
    code: { type: "string" },
    amount: { type: "string" },
    date: { type: "string" },
    status: { type: "string" },
    note: { type: "string" },
    as: { type: "string" },
  },
  async run({ values }, out) {
    const householdNumber = required(values, "household", this);
    const code = required(values, "code", this);
    const status = (values.status as string | undefined) ?? "planned";
    if (!(MEASURE_STATUSES as readonly string[]).includes(status))
      throw new UsageError(`--status 应为 ${MEASURE_STATUSES.join("、")} 之一`);
    const amountFen = values.amount === undefined ? 0 : parseYuan(String(values.amount), "amount");
    await withServices(values, async (services) => {
      const actor = await asUser(services, values, this);
      const m = await services.assistance.addMeasure(actor, householdNumber, {
        code,
        amountFen: amountFen ?? 0,
        date: (values.date as string | undefined) ?? chinaDate(systemClock()()),
        status: status as "planned",
        ...(values.note ? { note: String(values.note) } : {}),
      });
      out.result(
        {
          measure: String(m.id),
          category: m.category,
          name: m.name,
          developmentType: m.developmentType,
          amountFen: m.amountFen,
          status: m.status,
          date: m.date,
        },
        `已添加措施 ${m.category}·${m.name}（${m.status}，${m.date}）`,
      );
    });
  },
};

export const measuresCommand: Command = {
  name: "measures",
  summary: "列出农户的帮扶措施",
  usage: [
    "fangpin measures --household <户编号> [--as 用户名] [--db <url>] [--json]",
    '输出：{"measures":[{"category","name","developmentType":bool,"amountFen":n,"status","date"}]}',
  ].join("\n"),
  options: {
    household: { type: "string" },
    as: { type: "string" },
  },
  async run({ values }, out) {
    const householdNumber = required(values, "household", this);
    await withServices(values, async (services) => {
      const actor = await actorOption(services, values.as, SYSTEM_ACTOR);
      const measures = await services.assistance.measures(actor, householdNumber);
      out.result(
        {
          measures: measures.map((m) => ({
            category: m.category,
            name: m.name,
            developmentType: m.developmentType,
            amountFen: m.amountFen,
            status: m.status,
            date: m.date,
          })),
        },
        measures.length === 0
          ? `户 ${householdNumber} 尚无帮扶措施`
          : measures
              .map(
                (m) =>
                  `${m.date}  ${m.category}  ${m.name}${m.developmentType ? "（开发式）" : ""}  ${(m.amountFen / 100).toFixed(2)} 元  ${m.status}`,
              )
              .join("\n"),
      );
    });
  },
};

export const measuresImportCommand: Command = {
  name: "measures import",
  summary: "把国家监测系统导入文件中的帮扶列（产业帮扶…基础设施建设）转为帮扶措施（可重复运行）",
  usage: [
    "fangpin measures import --region <区划代码> --as <用户名> [--date YYYY-MM-DD] [--db <url>] [--json]",
    '输出：{"measures":n,"households":n}',
  ].join("\n"),
  options: {
    region: { type: "string" },
    date: { type: "string" },
    as: { type: "string" },
  },
  async run({ values }, out) {
    const region = required(values, "region", this);
    await withServices(values, async (services) => {
      const actor = await asUser(services, values, this);
      const r = await services.assistance.importNational(
        actor,
        region,
        values.date ? String(values.date) : undefined,
      );
      out.result(r, `已从导入数据生成 ${r.measures} 项帮扶措施（${r.households} 户）`);
    });
  },
};
