/**
 * In a real browser: the household page's 部门数据 card is one compact line when a household
 * has no department data; a county administrator issues an API token (shown once) and revokes
 * it; a department user sees only the sections their role may use (no 农户信息) and lands on
 * 部门数据.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../src/modules/auth/index.ts";
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
const SAMPLE = new URL("../../docs/formats/samples/medical.csv", import.meta.url);
const DEPARTMENT = { username: "yibao", password: "Fangpin-e2e-2026" };

const title = HAS_CHROMIUM
  ? "API tokens and role menus in Chromium"
  : `API tokens and role menus in Chromium — skipped: no browser at ${CHROMIUM}`;

describe.skipIf(!HAS_CHROMIUM)(title, () => {
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;

  const signIn = async (p: Page, path: string, user: { username: string; password: string }) => {
    await p.goto(`${fixture.url}${path}`);
    await p.getByLabel("用户名").fill(user.username);
    await p.getByLabel("密码").fill(user.password);
    await p.getByRole("button", { name: /登\s*录/ }).click();
  };

  beforeAll(async () => {
    await buildWebIfStale();
    fixture = await startFixture();
    await fixture.services.auth.addUser(
      {
        ...DEPARTMENT,
        role: "department",
        region: "360726",
        displayName: "医保局数据专员",
        feedTypes: ["medical"],
      },
      SYSTEM_ACTOR,
    );
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

  it("shows a household without department data as one compact line", async () => {
    const number = fixture.households[1]!.household.householdNumber!;
    await signIn(page, `/households/${number}`, USER);
    await page.getByTestId("household-facts-empty").waitFor();
    const card = page.getByTestId("household-facts");
    expect(await card.textContent()).toBe("部门数据暂无部门数据");
    const box = await card.boundingBox();
    // One header line (antd's small card header is about 38 px), no empty body below it.
    expect(box!.height).toBeLessThan(60);
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, "household-facts-empty.png") });
  });

  it("issues an API token shown once, lists it by prefix, and revokes it", async () => {
    await page.goto(`${fixture.url}/tokens`);
    await page.getByTestId("tokens-page").waitFor();
    expect(await page.getByTestId("main-menu").textContent()).toContain("接口令牌");
    await page.getByTestId("token-create").click();
    await page.getByLabel("名称").fill("县医保局月报上传");
    await page.getByTestId("token-feed-types").click();
    await page.locator(".ant-select-item-option", { hasText: "医保住院结算" }).click();
    await page.keyboard.press("Escape");
    await page.locator(".ant-modal-footer .ant-btn-primary").first().click();
    const secret = page.getByTestId("token-secret");
    await secret.waitFor();
    const token = (await secret.textContent())!.trim();
    expect(token).toMatch(/^fpt_[\w-]{32}$/);
    expect(await page.locator(".ant-modal").last().textContent()).toContain(
      `Authorization: Bearer ${token}`,
    );
    await page.screenshot({ path: join(SCREENSHOTS, "token-created.png") });
    await page.getByTestId("token-saved").click();

    const rows = page.locator('[data-testid="tokens"] .ant-table-row');
    await expect.poll(() => rows.count()).toBe(1);
    const row = await rows.first().textContent();
    expect(row).toContain(token.slice(0, 12));
    expect(row).not.toContain(token);
    expect(row).toContain("有效");
    expect(row).toContain("从未使用");
    await page.screenshot({ path: join(SCREENSHOTS, "tokens.png"), fullPage: true });

    // The token uploads through the API, as a department machine would; the list shows the use.
    const upload = await fetch(`${fixture.url}/api/feeds/medical/loads?dryRun=true`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      body: readFileSync(SAMPLE),
    });
    expect(upload.status).toBe(200);
    expect(await upload.json()).toMatchObject({ dryRun: true, rows: 3 });
    await page.reload();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).not.toContain("从未使用");

    await rows
      .first()
      .getByRole("button", { name: /吊\s*销/ })
      .click();
    const popconfirm = page.locator(".ant-popconfirm");
    await clickWhenSettled(popconfirm, popconfirm.locator(".ant-btn-primary"));
    await expect.poll(async () => rows.first().textContent()).toContain("已吊销");
    const refused = await fetch(`${fixture.url}/api/feeds/medical/loads`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv" },
      body: "x",
    });
    expect(refused.status).toBe(401);
  });

  it("shows a department user only the sections their role may use", async () => {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      locale: "zh-CN",
    });
    const dept = await context.newPage();
    dept.setDefaultTimeout(30_000);
    try {
      await signIn(dept, "/", DEPARTMENT);
      await dept.getByTestId("feeds-page").waitFor();
      const menu = await dept.getByTestId("main-menu").textContent();
      expect(menu).toContain("部门数据");
      for (const hidden of ["农户信息", "预警信息", "核实任务", "接口令牌"])
        expect(menu).not.toContain(hidden);
      expect(await dept.getByTestId("toggle-regions").count()).toBe(0);
      // Bound to the medical feed, they are offered only that one.
      await dept.getByTestId("feed-type").click();
      const options = dept.locator(".ant-select-item-option");
      await expect.poll(() => options.count()).toBe(1);
      expect(await options.first().textContent()).toContain("医保");
      await dept.keyboard.press("Escape");
      await dept.screenshot({ path: join(SCREENSHOTS, "department-menu.png") });
      // A bookmark of a section the role may not use leads back to its own start page.
      await dept.goto(`${fixture.url}/households`);
      await dept.getByTestId("feeds-page").waitFor();
      expect(new URL(dept.url()).pathname).toBe("/feeds");
      // Their comparison report names households as text: the registry is not theirs to open.
      const { household, members } = fixture.households[0]!;
      const dir = mkdtempSync(join(tmpdir(), "fangpin-e2e-dept-"));
      const file = join(dir, "住院结算.csv");
      writeFileSync(
        file,
        [
          "证件号码,姓名,结算单号,出院日期,合规自付费用(元)",
          `${members[0]!.idNumber},${members[0]!.name},JS-E2E-1,2026-10-09,38200.50`,
        ].join("\n"),
      );
      const actor = (await fixture.services.auth.actorFor(DEPARTMENT.username))!;
      const loaded = await fixture.services.feeds.load(actor, "medical", file);
      rmSync(dir, { recursive: true, force: true });
      expect(loaded.matched).toBe(1);
      await dept.goto(`${fixture.url}/feeds/loads/${loaded.loadId}`);
      const report = dept.getByTestId("feed-report");
      await report.getByText(household.householdNumber!).first().waitFor();
      expect(await report.locator('a[href^="/households/"]').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
