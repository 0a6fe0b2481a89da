/**
 * Importing in a real browser: a county officer drops a national-format workbook with faults on
 * 数据导入, sees the dry-run report with each problem's row and column, filters it, finds the
 * annotated workbook offered, confirms, and the good household is in the registry; the household
 * list offers the export.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../src/modules/auth/index.ts";
import { household, VILLAGE_A } from "../factories.ts";
import {
  FIRST_ROW,
  nationalRows,
  TEST_HEADERS,
  writeWorkbook,
  XINSHAN_XIUTIAN,
} from "../national-files.ts";
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

const title = HAS_CHROMIUM
  ? "national import in Chromium"
  : `national import in Chromium — skipped: no browser at ${CHROMIUM}`;

describe.skipIf(!HAS_CHROMIUM)(title, () => {
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), "fangpin-e2e-import-"));
  const good = household(VILLAGE_A, { seed: 901 });
  const bad = household(VILLAGE_A, { seed: 902 });
  const file = join(dir, "安远县监测对象.xlsx");

  beforeAll(async () => {
    await buildWebIfStale();
    fixture = await startFixture();
    const rows = [...nationalRows(good, XINSHAN_XIUTIAN), ...nationalRows(bad, XINSHAN_XIUTIAN)];
    rows[4]!.证件号码 = "3607261980";
    for (const r of rows.slice(3)) r.是否危房户 = "有";
    // An assistance column of the national file, kept as an extra attribute on import.
    for (const r of rows.slice(0, 3)) r.产业帮扶 = "种植脐橙";
    await writeWorkbook(file, rows, [...TEST_HEADERS, "产业帮扶"]);
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
    rmSync(dir, { recursive: true, force: true });
  });

  it("checks a dropped file, lists its problems by row and column, and imports on confirmation", async () => {
    await page.goto(`${fixture.url}/imports`);
    await page.getByLabel("用户名").fill(USER.username);
    await page.getByLabel("密码").fill(USER.password);
    await page.getByRole("button", { name: /登\s*录/ }).click();
    await page.getByTestId("import-page").waitFor();
    expect(await page.getByTestId("main-menu").textContent()).toContain("数据导入");

    await page.locator('input[type="file"]').setInputFiles(file);
    // Nothing written yet: the import history is empty.
    await page.getByTestId("import-history").getByText("还没有导入记录").waitFor();
    await page.getByTestId("import-check").click();
    await page.getByTestId("import-problems").waitFor();
    await page.getByText("检查完成（未写入）").waitFor();
    const rows = page.locator('[data-testid="import-problems"] .ant-table-row');
    expect(await rows.count()).toBe(2);
    const text = await page.getByTestId("import-problems").textContent();
    expect(text).toContain(String(FIRST_ROW + 4));
    expect(text).toContain("id_number_length");
    expect(text).toContain("flag_invalid");
    expect(await page.getByTestId("import-annotated").getAttribute("href")).toMatch(
      /^\/api\/imports\/[0-9a-f-]+\/annotated\.xlsx$/,
    );
    await page.screenshot({ path: join(SCREENSHOTS, "import.png"), fullPage: true });

    // Filter by problem code: only the ID number's row stays.
    await page
      .locator('[data-testid="import-problems"] th', { hasText: "问题代码" })
      .locator(".ant-table-filter-trigger")
      .click();
    await page
      .locator(".ant-dropdown .ant-dropdown-menu-item", { hasText: "id_number_length" })
      .click();
    await page.locator(".ant-table-filter-dropdown-btns .ant-btn-primary").click();
    await expect.poll(() => rows.count()).toBe(1);

    await page.getByTestId("import-confirm").click();
    const confirm = page.locator(".ant-modal-confirm");
    await clickWhenSettled(confirm, confirm.locator(".ant-btn-primary"));
    await page.getByText("已导入", { exact: true }).waitFor();
    const stored = await fixture.services.registry.get(
      SYSTEM_ACTOR,
      good.household.householdNumber!,
    );
    expect(stored.household.size).toBe(3);

    // The import is in the history: the file, who (by name), one household created, one rejected.
    const history = page.locator('[data-testid="import-history"] .ant-table-row');
    await expect.poll(() => history.count()).toBe(1);
    const entry = await history.first().textContent();
    expect(entry).toContain(basename(file));
    expect(entry).toContain(USER.displayName);
    expect(entry).toContain("1 / 0 / 0 / 1");
    await page.screenshot({ path: join(SCREENSHOTS, "import-history.png"), fullPage: true });

    // The assistance column becomes the household's measure, once.
    await page.getByTestId("import-measures-button").click();
    await expect
      .poll(() => page.getByTestId("import-measures-result").textContent())
      .toBe("已新增 1 项帮扶措施（1 户）");
    const measures = await fixture.services.assistance.measures(
      SYSTEM_ACTOR,
      good.household.householdNumber!,
    );
    expect(measures.map((m) => [m.category, m.note])).toEqual([["产业帮扶", "种植脐橙"]]);
    await expect(
      fixture.services.registry.get(SYSTEM_ACTOR, bad.household.householdNumber!),
    ).rejects.toMatchObject({ kind: "not_found" });
  });

  it("offers the export of the region on the household list", async () => {
    await page.goto(`${fixture.url}/households`);
    await page.getByTestId("export-national").hover();
    const link = page.getByRole("link", { name: "导出为 Excel（国家系统格式）" });
    await link.waitFor();
    expect(await link.getAttribute("href")).toBe("/api/exports/national?region=360726&format=xlsx");
  });
});
