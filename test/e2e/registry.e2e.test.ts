/**
 * The registry in a real browser: a county officer signs in, finds a household by a member's
 * ID number, changes the member's education with a reason and sees it in the history; a change
 * made meanwhile by someone else is reported as a conflict with the offer to reload.
 * Drives Debian's Chromium through playwright-core; skipped (with the reason) when it is missing.
 */
import { existsSync, mkdirSync } from "node:fs";
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

const title = HAS_CHROMIUM
  ? "web client in Chromium"
  : `web client in Chromium — skipped: no browser at ${CHROMIUM} (apt-get install chromium fonts-noto-cjk, or set FANGPIN_CHROMIUM)`;

describe.skipIf(!HAS_CHROMIUM)(title, () => {
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await buildWebIfStale();
    fixture = await startFixture();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
    page.setDefaultTimeout(30_000);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });

  // The spouse in the third household: 李3, education 小学.
  const target = () => {
    const h = fixture.households[2]!;
    const spouse = h.members[1]!;
    return { number: h.household.householdNumber!, name: spouse.name!, idNumber: spouse.idNumber! };
  };

  it("signs in and lists the households of the user's county", async () => {
    await page.goto(`${fixture.url}/households`);
    await page.getByText("用户登录").waitFor();
    await page.getByLabel("用户名").fill(USER.username);
    await page.getByLabel("密码").fill("wrong-password");
    await page.getByRole("button", { name: /登\s*录/ }).click();
    // The API's own Chinese message is shown.
    await expect
      .poll(() => page.getByTestId("sign-in-error").textContent())
      .toMatch(/[\u4e00-\u9fa5]/);

    await page.getByLabel("密码").fill(USER.password);
    await page.getByRole("button", { name: /登\s*录/ }).click();
    await page.locator(".ant-table-row").first().waitFor();
    expect(await page.getByTestId("current-user").textContent()).toContain(USER.displayName);
    expect(await page.locator(".ant-table-row").count()).toBe(fixture.households.length);
    await page.locator(".ant-tree-title", { hasText: "安远县" }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "list.png") });
  });

  it("finds a household by a member's ID number and changes the member's education", async () => {
    const { number, name, idNumber } = target();
    const search = page.getByPlaceholder("户主或成员姓名、户编号、证件号码");
    await search.fill(idNumber);
    await search.press("Enter");
    await expect.poll(() => page.locator(".ant-table-row").count()).toBe(1);
    await page.locator(".ant-table-row", { hasText: number }).click();
    await page.waitForURL(`**/households/${number}`);

    const row = page.getByTestId("members").locator("tr", { hasText: name });
    expect(await row.textContent()).toContain("小学");
    await row.getByRole("button", { name: /编\s*辑/ }).click();

    const drawer = page.locator(".ant-drawer", { hasText: `编辑成员：${name}` });
    await drawer.waitFor();
    // Typing into the searchable select is steadier than clicking an animating dropdown.
    const education = drawer
      .locator(".ant-form-item", { hasText: "文化程度" })
      .locator(".ant-select");
    await education.click();
    await page.keyboard.type("大专");
    await page.keyboard.press("Enter");
    await expect.poll(() => education.textContent()).toBe("大专");
    await drawer.getByTestId("change-reason").fill("入户走访核实，已取得大专学历");
    await drawer.getByTestId("save-member").click();
    await drawer.waitFor({ state: "hidden" });

    const latest = page.getByTestId("history-entry").first();
    await expect.poll(() => latest.textContent()).toContain("文化程度");
    const text = (await latest.textContent()) ?? "";
    expect(text).toContain(`成员 ${name}`);
    expect(text).toContain("小学");
    expect(text).toContain("大专");
    expect(text).toContain("入户走访核实，已取得大专学历");
    expect(text).toContain("页面");
    expect(text).toContain(USER.displayName);
    expect(await row.textContent()).toContain("大专");

    await page.locator(".ant-message-notice").waitFor({ state: "detached" });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SCREENSHOTS, "household.png"), fullPage: true });
  });

  it("reports a change someone else made meanwhile and reloads on request", async () => {
    const { number } = target();
    const current = await fixture.services.registry.get(SYSTEM_ACTOR, number);
    await fixture.services.registry.update(
      SYSTEM_ACTOR,
      number,
      { version: current.household.version, changes: { remarks: "乡镇复核" } },
      { source: "case" },
    );

    await page.getByRole("button", { name: "编辑户信息" }).click();
    const drawer = page.locator(".ant-drawer", { hasText: "编辑户信息" });
    await drawer.locator(".ant-form-item", { hasText: "户联系电话" }).waitFor();
    await drawer.locator(".ant-form-item", { hasText: "耕地面积" }).locator("input").fill("3.5");
    await drawer.getByTestId("save-household").click();

    const dialog = page.locator(".ant-modal-confirm", { hasText: "该户信息已被他人修改" });
    await dialog.waitFor();
    await clickWhenSettled(dialog, dialog.getByRole("button", { name: "重新加载" }));
    await dialog.waitFor({ state: "hidden" });
    await expect
      .poll(() => page.getByTestId("history-entry").first().textContent())
      .toContain("乡镇复核");
    expect(await page.locator("[data-field=remarks]").textContent()).toBe("乡镇复核");
  });

  it("shows the household as it was on a past date and switches to English", async () => {
    const { number } = target();
    // Before the household existed there is nothing to show, and the page says so.
    await page.goto(`${fixture.url}/households/${number}?asOf=2020-01-01`);
    await page.getByText("显示的是 2020-01-01 日的历史状态").waitFor();
    await page.getByTestId("back-to-current").click();
    await page.getByTestId("history-entry").first().waitFor();

    // Dates are China's calendar days, whatever the machine's time zone.
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(
      new Date(),
    );
    await page.goto(`${fixture.url}/households/${number}?asOf=${today}`);
    await expect
      .poll(() => page.getByTestId("as-of-banner").textContent())
      .toContain(`显示的是 ${today} 日的历史状态`);
    expect(await page.getByRole("button", { name: "编辑户信息" }).count()).toBe(0);

    await page.getByText("English").first().click();
    await expect
      .poll(() => page.getByTestId("as-of-banner").textContent())
      .toContain("as it was on");
    expect(await page.getByTestId("history").textContent()).toContain("Education");
    await page.getByText("中文").first().click();
  });
});
