/**
 * `fangpin token create|list|revoke`: API tokens (接口令牌) for department machines, which may
 * only upload the feeds they name (see docs/formats/feeds.md). Without --as the system acts
 * (nationwide); with --as, that user (a county administrator) within their region.
 */
import { SYSTEM_ACTOR, type TokenView } from "../modules/auth/index.ts";
import type { Command } from "./command.ts";
import { required } from "./command.ts";
import { actorOption } from "./export.ts";
import { UsageError } from "./output.ts";
import { withServices } from "./with-services.ts";

const STATUS: Record<TokenView["status"], string> = {
  active: "有效",
  expired: "已过期",
  revoked: "已吊销",
};

const line = (t: TokenView) =>
  `${String(t.id).padStart(4)}  ${t.prefix}…  ${STATUS[t.status]}  ${t.name}  ${t.department}  ${t.feedTypes.join(",")}  ${t.regionCode}  至 ${t.expiresAt.slice(0, 10)}  最近使用 ${t.lastUsedAt?.slice(0, 16).replace("T", " ") ?? "—"}`;

export const tokenCreateCommand: Command = {
  name: "token create",
  summary: "签发接口令牌：部门机器凭它上传指定类型的部门数据（令牌只显示这一次）",
  usage: [
    "fangpin token create --name <名称> --feed <类型[,类型…]> [--region <区划代码>] [--department <部门>] [--expires YYYY-MM-DD] [--as 用户名] [--db <url>] [--json]",
    '输出：{"token":"fpt_…","id":n,"prefix":"fpt_…","expiresAt":"…",…}',
  ].join("\n"),
  options: {
    name: { type: "string" },
    feed: { type: "string", multiple: true },
    region: { type: "string" },
    department: { type: "string" },
    expires: { type: "string" },
    as: { type: "string" },
  },
  async run({ values }, out) {
    const name = required(values, "name", this);
    const feedTypes = ((values.feed as string[] | undefined) ?? [])
      .flatMap((f) => f.split(","))
      .map((f) => f.trim())
      .filter(Boolean);
    if (feedTypes.length === 0) throw new UsageError(`缺少 --feed\n用法：${this.usage}`);
    await withServices(values, async (services) => {
      const actor = await actorOption(services, values.as, SYSTEM_ACTOR);
      const t = await services.tokens.create(actor, {
        name,
        feedTypes,
        ...(values.region ? { region: String(values.region) } : {}),
        ...(values.department ? { department: String(values.department) } : {}),
        ...(values.expires ? { expiresOn: String(values.expires) } : {}),
      });
      out.result(
        { ...t },
        [
          `已签发接口令牌 ${t.id}（${t.name}，${t.department}，${t.feedTypes.join("、")}，${t.regionCode}，有效期至 ${t.expiresAt}）：`,
          "",
          `  ${t.token}`,
          "",
          "令牌只显示这一次，请立即交给部门保存；遗失后请吊销并重新签发。",
        ].join("\n"),
      );
    });
  },
};

export const tokenListCommand: Command = {
  name: "token list",
  summary: "列出接口令牌（编号、前缀、状态、数据类型、区划、有效期、最近使用）",
  usage: "fangpin token list [--as 用户名] [--db <url>] [--json]",
  options: { as: { type: "string" } },
  async run({ values }, out) {
    await withServices(values, async (services) => {
      const actor = await actorOption(services, values.as, SYSTEM_ACTOR);
      const items = await services.tokens.list(actor);
      out.result({ items }, items.length === 0 ? "没有接口令牌" : items.map(line).join("\n"));
    });
  },
};

export const tokenRevokeCommand: Command = {
  name: "token revoke",
  summary: "吊销接口令牌（按编号或前缀），立即失效",
  usage: "fangpin token revoke <编号|前缀> [--as 用户名] [--db <url>] [--json]",
  options: { as: { type: "string" } },
  positionals: true,
  async run({ values, positionals }, out) {
    if (positionals.length !== 1)
      throw new UsageError(`请给出一个令牌编号或前缀\n用法：${this.usage}`);
    await withServices(values, async (services) => {
      const actor = await actorOption(services, values.as, SYSTEM_ACTOR);
      const found = await services.tokens.find(actor, positionals[0]!);
      const t = await services.tokens.revoke(actor, found.id);
      out.result({ ...t }, `已吊销接口令牌 ${t.id}（${t.prefix}…，${t.name}）`);
    });
  },
};
