import { chinaDate } from "../core/dates.ts";
import { createAuthService, type Role, SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { createPolicyService } from "../modules/policy/index.ts";
import { type Command, openDatabase, required } from "./command.ts";

export const userAddCommand: Command = {
  name: "user add",
  summary: "新建用户（角色：admin county town village helper department inspector viewer）",
  usage:
    "fangpin user add --username U --password P --role R [--region CODE] [--name 显示名] [--feeds medical,disability] [--db <url>] [--json]",
  options: {
    username: { type: "string" },
    password: { type: "string" },
    role: { type: "string" },
    region: { type: "string" },
    name: { type: "string" },
    /** For a department's officer (role department): the feed types they work with. */
    feeds: { type: "string" },
  },
  async run({ values }, out) {
    const username = required(values, "username", this);
    const password = required(values, "password", this);
    const role = required(values, "role", this);
    const database = await openDatabase(values);
    try {
      const policies = createPolicyService();
      const auth = createAuthService({
        db: database.db,
        now: () => new Date(),
        feedTypesOf: (region) =>
          policies.forRegion(region, Number(chinaDate(new Date()).slice(0, 4))).feeds,
      });
      const feeds = values.feeds as string | undefined;
      const user = await auth.addUser(
        {
          username,
          password,
          role: role as Role,
          region: (values.region as string | undefined) ?? null,
          displayName: values.name as string | undefined,
          ...(feeds === undefined ? {} : { feedTypes: feeds.split(/[,，、\s]+/).filter(Boolean) }),
        },
        SYSTEM_ACTOR,
      );
      out.result(
        { ok: true, user },
        `已创建用户 ${user.username}（${user.role}${user.regionCode ? `，${user.regionCode}` : ""}${user.feedTypes ? `，负责 ${user.feedTypes.join("、")}` : ""}）`,
      );
    } finally {
      await database.close();
    }
  },
};
