/**
 * `npm start`: builds the web client if its sources are newer than the build, opens the
 * embedded database (FANGPIN_DB overrides), loads the 安远县 demo county into an empty
 * database with demo users, and serves on PORT (default 8080).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { chinaDate } from "../core/dates.ts";
import type { Database } from "../db/connect.ts";
import { createAuthService, type Role, SYSTEM_ACTOR } from "../modules/auth/index.ts";
import { createRegionsService } from "../modules/regions/index.ts";
import { createRegistryService } from "../modules/registry/index.ts";
import { WEB_ROOT } from "../server/app.ts";
import { createServices } from "../server/services.ts";
import { type Command, intOption, openDatabase } from "./command.ts";
import { demoIncomeYear, loadDemo } from "./demo.ts";
import { loadDemoFeeds } from "./demo-feeds.ts";
import type { Output } from "./output.ts";
import { serve } from "./serve.ts";

export const DEMO_COUNTY = "360726";
export const DEMO_PASSWORD = "Fangpin@2026";

/** The demo users: one per level of 安远县, all with DEMO_PASSWORD. */
export const DEMO_USERS: {
  username: string;
  role: Role;
  region: string | null;
  displayName: string;
  /** A department's officer: the feeds they work with. */
  feedTypes?: string[];
}[] = [
  { username: "admin", role: "admin", region: null, displayName: "系统管理员" },
  { username: "county", role: "county", region: DEMO_COUNTY, displayName: "安远县乡村振兴局" },
  { username: "town", role: "town", region: "360726100", displayName: "欣山镇" },
  { username: "village", role: "village", region: "360726100201", displayName: "村级信息员" },
  { username: "viewer", role: "viewer", region: DEMO_COUNTY, displayName: "只读用户" },
  {
    username: "dept",
    role: "department",
    region: DEMO_COUNTY,
    displayName: "县医保局数据专员",
    feedTypes: ["medical"],
  },
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the web client when web/dist is missing or older than its sources. */
export async function ensureWebBuilt(out: Output): Promise<void> {
  const root = join(WEB_ROOT, "..");
  const config = join(root, "vite.config.ts");
  if (!existsSync(config)) return;
  const built = join(WEB_ROOT, "index.html");
  const sources = Math.max(
    newestMtime(join(root, "src")),
    newestMtime(join(root, "../src/core")),
    ...[join(root, "index.html"), config].map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  out.progress("正在构建网页界面（首次启动约需半分钟）…");
  const { build } = await import("vite");
  await build({ configFile: config, mode: "production", logLevel: "warn" });
}

/**
 * Loads regions, demo households and demo users into an empty database. Returns whether the
 * demo accounts still have the demo password (then start-up prints them).
 */
export async function seedDemo(
  database: Database,
  households: number,
  out: Output,
): Promise<boolean> {
  const now = () => new Date();
  const regions = createRegionsService({ db: database.db, now });
  const registry = createRegistryService({ db: database.db, engine: database.engine, now });
  const auth = createAuthService({ db: database.db, now });
  if ((await regions.count()) === 0) {
    out.progress("正在加载江西省行政区划…");
    await regions.load(SYSTEM_ACTOR, "36");
  }
  if ((await registry.countHouseholds()) === 0) {
    out.progress(`正在生成安远县演示数据（${households} 户）…`);
    await loadDemo(database, {
      county: DEMO_COUNTY,
      households,
      seed: 1,
      onProgress: (done: number) => out.progress(`  已生成 ${done} 户`),
    });
    const services = createServices({ database });
    const year = Number(chinaDate(new Date()).slice(0, 4)) - 1;
    out.progress(`正在结转 ${year} 年收入（并模拟少数农户今年务工收入骤减）…`);
    const dropped = await demoIncomeYear(database, services, { county: DEMO_COUNTY, year });
    out.progress(`  ${dropped} 户收入骤减`);
    out.progress("正在导入演示部门数据（医保、残联、民政、教育等）…");
    const feeds = await loadDemoFeeds(database, services, {
      county: DEMO_COUNTY,
      households,
      seed: 1,
      today: chinaDate(new Date()),
    });
    out.progress(
      `  ${feeds.length} 类，${feeds.reduce((n, f) => n + f.rows, 0)} 行，匹配 ${feeds.reduce((n, f) => n + f.matched, 0)} 行`,
    );
    out.progress("正在按政策规则筛查预警…");
    const sweep = await services.monitoring.sweep(SYSTEM_ACTOR, { region: DEMO_COUNTY });
    out.progress(`  预警 ${sweep.signals.open} 条（${sweep.ms} 毫秒）`);
  }
  if ((await auth.countUsers()) === 0) {
    for (const u of DEMO_USERS) await auth.addUser({ ...u, password: DEMO_PASSWORD }, SYSTEM_ACTOR);
  }
  return auth.hasPassword("county", DEMO_PASSWORD);
}

export const startCommand: Command = {
  name: "start",
  summary: "构建并启动（空数据库时自动加载安远县演示数据）",
  usage: "fangpin start [--db <url>] [--port 8080] [--households 20000]",
  options: { port: { type: "string" }, host: { type: "string" }, households: { type: "string" } },
  async run({ values }, out) {
    const port = intOption(values, "port", Number(process.env.PORT ?? 8080), 0, 65535);
    const households = intOption(
      values,
      "households",
      Number(process.env.FANGPIN_DEMO_HOUSEHOLDS ?? 20_000),
      1,
      2_000_000,
    );
    await ensureWebBuilt(out);
    const database = await openDatabase(values);
    const demoAccounts = await seedDemo(database, households, out);
    await serve(database, port, (values.host as string | undefined) ?? "127.0.0.1", out.progress);
    if (!demoAccounts) {
      out.progress("请用您的账号登录；新建账号：npx fangpin user add --help");
      return;
    }
    out.progress(
      [
        "",
        `请用浏览器打开上面的地址并登录。演示账号（密码均为 ${DEMO_PASSWORD}）：`,
        ...DEMO_USERS.map((u) => `  ${u.username.padEnd(8)} ${u.displayName}`),
        `正式使用前请用 \`npx fangpin user add\` 创建自己的账号，并删除演示数据库（${database.url.replace(/^sqlite:/, "")}）。`,
      ].join("\n"),
    );
  },
};
