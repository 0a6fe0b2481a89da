/**
 * The browser tests' world: the web client built once, the real server in-process on a random
 * port over a fresh SQLite database holding 安远县's regions, a dozen households with some
 * history, and one county user.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { Locator } from "playwright-core";
import { expect } from "vitest";
import { connect, type Database } from "../../src/db/connect.ts";
import { migrate } from "../../src/db/migrate.ts";
import { SYSTEM_ACTOR } from "../../src/modules/auth/index.ts";
import type { FileStore } from "../../src/modules/cases/index.ts";
import type { CreateHouseholdInput } from "../../src/modules/registry/index.ts";
import { buildApp } from "../../src/server/app.ts";
import type { Services } from "../../src/server/services.ts";
import { freshDatabaseUrl } from "../engines.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../factories.ts";

export const REPO = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const WEB_DIST = join(REPO, "web/dist");

export const USER = { username: "anyuan", password: "Fangpin-e2e-2026", displayName: "王晓明" };

/** Newest modification time of the files under a folder (or of one file). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = 0;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

/** Builds web/dist unless it is newer than everything the bundle is made of. */
export async function buildWebIfStale(): Promise<void> {
  const built = newest(join(WEB_DIST, "index.html"));
  const sources = Math.max(
    newest(join(REPO, "web/src")),
    newest(join(REPO, "web/index.html")),
    newest(join(REPO, "web/vite.config.ts")),
    newest(join(REPO, "src/core")),
  );
  if (built > sources) return;
  const { build } = await import("vite");
  // Vitest sets NODE_ENV=test, and Vite would then bundle React's and antd's development builds.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({
      configFile: join(REPO, "web/vite.config.ts"),
      mode: "production",
      logLevel: "warn",
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

/** Households in two villages, a few of them monitored, with incomes and living conditions. */
export function fixtureHouseholds(): CreateHouseholdInput[] {
  const out: CreateHouseholdInput[] = [];
  for (let seed = 1; seed <= 12; seed++) {
    const h = household(seed <= 8 ? VILLAGE_A : VILLAGE_B, { seed });
    const monitored = seed % 3 === 0;
    h.household = {
      ...h.household,
      householdType: seed % 2 === 0 ? "formerly_poor" : "ordinary",
      monitoringCategory: monitored ? (seed % 2 === 0 ? "unstable" : "marginal") : null,
      riskFactors: monitored ? ["illness", "lack_of_labor"] : null,
      identifiedMonth: monitored ? "2024-03" : null,
      riskEliminated: monitored ? seed === 12 : null,
      wageIncome: 1_200_000 + seed * 150_000,
      perCapitaIncome: Math.round((1_200_000 + seed * 150_000 + 750_000) / 3),
      housingGrade: "B",
      houseArea: 96 + seed,
      electricity: true,
      hardenedRoad: seed % 4 !== 0,
      sanitaryToilet: true,
      arableLand: 2.5,
      forestLand: 12,
      collectorName: "刘建华",
    };
    out.push(h);
  }
  return out;
}

export interface Fixture {
  url: string;
  app: FastifyInstance;
  services: Services;
  households: CreateHouseholdInput[];
  close(): Promise<void>;
}

export interface FixtureOptions {
  /** The server's clock (tests move it on so that notice periods pass without waiting). */
  now?: () => Date;
  /** Where case attachments go. */
  files?: FileStore;
}

export async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const { url: dbUrl, cleanup } = freshDatabaseUrl("sqlite");
  const database: Database = await connect(dbUrl);
  await migrate(database);
  const { app, services } = await buildApp({ database, webRoot: WEB_DIST, ...options });
  await services.regions.load(SYSTEM_ACTOR, "360726");
  const households = fixtureHouseholds();
  await services.registry.bulkCreate(SYSTEM_ACTOR, households, { source: "demo" });

  // A little history: a department feed and an import touched the first household.
  const first = households[0]!.household.householdNumber!;
  let detail = await services.registry.get(SYSTEM_ACTOR, first);
  detail = await services.registry.update(
    SYSTEM_ACTOR,
    first,
    {
      version: detail.household.version,
      changes: { transferIncome: 420_000 },
      reason: "民政低保金数据比对",
    },
    { source: "feed", sourceRef: "民政 2025-06" },
  );
  await services.registry.update(
    SYSTEM_ACTOR,
    first,
    { version: detail.household.version, changes: { houseArea: 120, sanitaryToilet: false } },
    { source: "import", sourceRef: "2025年动态调整.xlsx" },
  );

  await services.auth.addUser({ ...USER, role: "county", region: "360726" }, SYSTEM_ACTOR);
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    url: address,
    app,
    services,
    households,
    close: async () => {
      await app.close();
      await database.close();
      await cleanup();
    },
  };
}

/**
 * Clicks `target` in a dialog or popover (`container`) once its opening animation is over: a
 * click during the zoom can land beside the still-moving button, and the dialog then stays open
 * (seen under load in CI: the conflict dialog's 重新加载).
 */
export async function clickWhenSettled(container: Locator, target: Locator): Promise<void> {
  await container.first().waitFor();
  await expect
    .poll(async () => (await container.first().getAttribute("class")) ?? "")
    .not.toMatch(/-(appear|enter)\b/);
  await target.click();
}
