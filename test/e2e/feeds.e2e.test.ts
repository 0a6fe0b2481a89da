/**
 * Department data in a real browser: a county officer picks 死亡注销, drops the sample file,
 * sees the load's counts, opens the comparison report (by town, the alert with its source row,
 * the unmatched row masked), and the household page shows the fact with its source; then
 * reviews likely duplicates: one pair dismissed, one merged; then withdraws the load.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../src/modules/auth/index.ts";
import { household, VILLAGE_A, VILLAGE_B } from "../factories.ts";
import { sampleHouseholds } from "../feed-samples.ts";
import {
  buildWebIfStale,
  clickWhenSettled,
  type Fixture,
  REPO,
  startFixture,
  USER,
} from "./fixture.ts";

const CHROMIUM = process.env.FANGPIN_CHROMIUM ?? "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SCREENSHOTS = join(REPO, "test/e2e/__screenshots__");
const SAMPLE = fileURLToPath(new URL("../../docs/formats/samples/death.csv", import.meta.url));

const title = HAS_CHROMIUM
  ? "department data in Chromium"
  : `department data in Chromium — skipped: no browser at ${CHROMIUM}`;

describe.skipIf(!HAS_CHROMIUM)(title, () => {
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  let duplicates: string[] = [];

  beforeAll(async () => {
    await buildWebIfStale();
    fixture = await startFixture();
    await fixture.services.registry.bulkCreate(SYSTEM_ACTOR, sampleHouseholds(), {
      source: "demo",
    });
    // Seeds 221 and 222: spouses born the same day as the fixture's spouses 1 and 2 (the
    // factory's year repeats every 20), one named alike, one with a name that sounds alike.
    const homophone = household(VILLAGE_B, { seed: 221 });
    homophone.members[1]!.name = "理1";
    const same = household(VILLAGE_A, { seed: 222 });
    same.members[1]!.name = "李2";
    duplicates = [homophone, same].map((h) => h.household.householdNumber!);
    await fixture.services.registry.bulkCreate(SYSTEM_ACTOR, [homophone, same], {
      source: "demo",
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
    page.setDefaultTimeout(30_000);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it("loads a file, then shows the comparison report with the alert and its source row", async () => {
    await page.goto(`${fixture.url}/feeds`);
    await page.getByLabel("用户名").fill(USER.username);
    await page.getByLabel("密码").fill(USER.password);
    await page.getByRole("button", { name: /登\s*录/ }).click();
    await page.getByTestId("feeds-page").waitFor();
    expect(await page.getByTestId("main-menu").textContent()).toContain("部门数据");

    await page.getByTestId("feed-type").click();
    await page.locator(".ant-select-item-option", { hasText: "死亡注销" }).click();
    // The template of the chosen type is one click away.
    expect(await page.getByTestId("feed-template").getAttribute("href")).toBe(
      "/api/feeds/death/template.xlsx",
    );
    await page.locator('input[type="file"]').setInputFiles(SAMPLE);
    await page.getByTestId("feed-result").waitFor();
    const result = await page.getByTestId("feed-result").textContent();
    expect(result).toContain("已导入");
    expect(result).toMatch(/已匹配\s*1/);
    expect(result).toMatch(/未匹配\s*1/);
    // The household the file names was re-screened as the load committed.
    expect(result).toContain("已对数据有变化的 1 户重新筛查");

    // The sweep runs the feed rules over the new facts.
    await fixture.services.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    await page.getByTestId("feed-report-link").click();
    await page.getByTestId("feed-report").waitFor();
    const towns = await page.getByTestId("feed-report-towns").textContent();
    expect(towns).toContain("孔田镇");
    const anomalies = await page.getByTestId("feed-report-anomalies").textContent();
    expect(anomalies).toContain("360726101201S003");
    expect(anomalies).toContain("已死亡人员仍在册");
    expect(anomalies).toContain("death.csv 第 2 行");
    const unmatched = await page.getByTestId("feed-report-unmatched").textContent();
    expect(unmatched).toContain("周文斌");
    expect(unmatched).toContain("在册成员中无此证件号码");
    expect(unmatched).not.toContain("360726198802141359");
    expect(await page.getByTestId("feed-report-download").getAttribute("href")).toMatch(
      /^\/api\/feed-loads\/\d+\/report\.xlsx$/,
    );
    await page.screenshot({ path: join(SCREENSHOTS, "feed-report.png"), fullPage: true });

    await page.getByRole("link", { name: "360726101201S003" }).first().click();
    await page.getByTestId("household-facts").waitFor();
    await expect
      .poll(() => page.getByTestId("household-facts").textContent())
      .toContain("death.csv 第 2 行");
    expect(await page.getByTestId("household-facts").textContent()).toContain("赖桂兰");
  });

  it("reviews likely duplicates: dismisses one pair, merges the other", async () => {
    await page.goto(`${fixture.url}/duplicates`);
    await page.getByTestId("duplicates-page").waitFor();
    const rows = page.locator('[data-testid="duplicate-pairs"] .ant-table-row');
    await expect.poll(() => rows.count()).toBe(2);
    const homophoneRow = rows.filter({ hasText: "同音姓名" });
    expect(await homophoneRow.textContent()).toContain("理1");
    await homophoneRow.getByTestId("dismiss").click();
    await page.getByText("已标记为不同人").waitFor();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("李2");
    await page.screenshot({ path: join(SCREENSHOTS, "duplicates.png"), fullPage: true });

    await rows.first().getByTestId("merge-keep-a").click();
    const popconfirm = page.locator(".ant-popconfirm");
    await clickWhenSettled(popconfirm, popconfirm.locator(".ant-btn-primary"));
    await page.getByText("已合并").waitFor();
    await expect.poll(() => rows.count()).toBe(0);
    const merged = await fixture.services.registry.get(SYSTEM_ACTOR, duplicates[1]!);
    expect(merged.members[1]).toMatchObject({ status: "removed", removedReason: "duplicate" });
    // The dismissed pair's households are untouched.
    const kept = await fixture.services.registry.get(SYSTEM_ACTOR, duplicates[0]!);
    expect(kept.members.every((m) => m.status === "active")).toBe(true);
  });

  it("withdraws the load with a reason; the household's fact shows its load was withdrawn", async () => {
    await page.goto(`${fixture.url}/feeds`);
    const loads = page.getByTestId("feed-loads");
    const row = loads.locator(".ant-table-row", { hasText: "death.csv" }).first();
    await row.locator('[data-testid^="feed-withdraw-"]').click();
    const dialog = page.locator(".ant-modal", { hasText: "撤销导入：death.csv" });
    // No reason, no withdrawal.
    await clickWhenSettled(dialog, dialog.getByRole("button", { name: "确认撤销" }));
    await dialog.getByText("请填写撤销原因").waitFor();
    await page.getByTestId("feed-withdraw-reason").fill("误传了未核实的死亡名单");
    await dialog.getByRole("button", { name: "确认撤销" }).click();
    await page.getByText(/已撤销：1 条数据失效，0 条数据恢复有效/).waitFor();
    await row.getByTestId("feed-load-withdrawn").waitFor();
    expect(await row.locator('[data-testid^="feed-withdraw-"]').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, "feed-withdrawn.png"), fullPage: true });

    await page.goto(`${fixture.url}/households/360726101201S003`);
    await expect
      .poll(() => page.getByTestId("household-facts").textContent())
      .toContain("所属导入批次已撤销");
  });
});
