/**
 * Monitoring in a real browser: a county officer opens 预警信息, finds the income signal a sweep
 * raised, assigns its verification to the household's village and records the outcome; the
 * household page shows its risk; in 政策规则 a broken condition is marked where it is wrong
 * and fixed, and (when the preview route exists) a higher monitoring line is previewed.
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
const RULE_NAME = "人均纯收入低于监测范围";
const BROKEN = "!h.monitored && h.perCapitaIncom < policy.monitoringLine";

const title = HAS_CHROMIUM
  ? "monitoring pages in Chromium"
  : `monitoring pages in Chromium — skipped: no browser at ${CHROMIUM} (apt-get install chromium fonts-noto-cjk, or set FANGPIN_CHROMIUM)`;

describe.skipIf(!HAS_CHROMIUM)(title, () => {
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  /** The household whose income drops below the monitoring line. */
  let poor: { number: string; head: string; village: string };

  beforeAll(async () => {
    await buildWebIfStale();
    fixture = await startFixture();
    const { services, households } = fixture;
    // An ordinary household (not monitored) loses most of its wages.
    const h = households[4]!;
    const number = h.household.householdNumber!;
    const detail = await services.registry.get(SYSTEM_ACTOR, number);
    await services.registry.update(
      SYSTEM_ACTOR,
      number,
      { version: detail.household.version, changes: { wageIncome: 100_000 } },
      { source: "feed", sourceRef: "人社 2026-05" },
    );
    await services.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    const id = await services.registry.idOf(number);
    const open = await services.monitoring.openSignals(id!, detail.household.villageCode ?? "");
    expect(open.map((s) => s.rule)).toContain("income.below_line");
    poor = {
      number,
      head: detail.household.headName ?? "",
      village: detail.household.villageName ?? "",
    };

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

  /** The <input> of an antd InputNumber, whichever element carries the test id. */
  const inputOf = async (l: ReturnType<Page["locator"]>) =>
    (await l.evaluate((e) => e.tagName)) === "INPUT" ? l : l.locator("input");
  /** The income signal's row (the household has other signals too). */
  const poorRow = () =>
    page.locator(".ant-table-row", { hasText: poor.number }).filter({ hasText: RULE_NAME });
  /** Resolves when the signals list has been read again. */
  const listed = (query = "") =>
    page.waitForResponse(
      (r) => r.url().includes("/api/signals?") && r.url().includes(query) && r.status() === 200,
    );

  it("lists the signal in 预警信息 with its evidence", async () => {
    await page.goto(`${fixture.url}/households`);
    await page.getByLabel("用户名").fill(USER.username);
    await page.getByLabel("密码").fill(USER.password);
    await page.getByRole("button", { name: /登\s*录/ }).click();
    await page.locator(".ant-table-row").first().waitFor();

    await page.getByTestId("main-menu").getByText("预警信息").click();
    await page.waitForURL("**/signals");
    await expect
      .poll(async () =>
        Number((await page.getByTestId("stat-open").textContent())?.replace(/\D/g, "")),
      )
      .toBeGreaterThan(0);
    // The counts by town list 欣山镇 (both villages of the fixture are in it).
    await expect.poll(() => page.getByTestId("by-region").textContent()).toContain("欣山镇");

    // Filter by the rule, typed into the searchable select.
    const filtered = listed("rule=income.below_line");
    await page.getByTestId("filter-rule").click();
    await page.keyboard.type(RULE_NAME);
    await page.keyboard.press("Enter");
    await filtered;
    await poorRow().waitFor();
    expect(await page.locator(".ant-table-row", { hasText: poor.number }).count()).toBe(1);
    const text = (await poorRow().textContent()) ?? "";
    expect(text).toContain(RULE_NAME);
    expect(text).toContain(poor.head);
    expect(text).toContain("高");
    expect(text).toContain("待指派");

    // The evidence opens under the row.
    await poorRow().locator("td").nth(5).click();
    const evidence = page.getByTestId("evidence").first();
    await evidence.waitFor();
    expect(await evidence.textContent()).toContain("人均纯收入");
    expect(await evidence.textContent()).toContain("监测范围");
    await page.screenshot({ path: join(SCREENSHOTS, "signals.png") });
  });

  it("assigns the verification to the household's village and records the outcome", async () => {
    await poorRow().locator(".ant-checkbox-input").check();
    await page.getByTestId("assign").click();
    const assign = page.locator(".ant-modal", { hasText: "指派核实任务" });
    await assign.waitFor();
    await assign.getByTestId("assign-village").click();
    await assign.getByRole("button", { name: /确\s*定/ }).click();
    await assign.waitFor({ state: "hidden" });
    await expect
      .poll(() => poorRow().getByTestId("task-assigned").textContent())
      .toContain(poor.village);

    await poorRow().getByTestId("record-outcome").click();
    const outcome = page.locator(".ant-modal", { hasText: "登记核实结果" });
    await outcome.waitFor();
    await outcome.getByTestId("outcome-dismissed").click();
    await outcome.getByRole("button", { name: /保\s*存/ }).click();
    // Dismissing needs a reason.
    await outcome.getByText("核实后排除须说明理由").waitFor();
    await outcome.getByTestId("outcome-reason").fill("入户核实：家中另有务工收入未登记，已补录");
    await outcome.getByRole("button", { name: /保\s*存/ }).click();
    await outcome.waitFor({ state: "hidden" });
    await expect.poll(() => poorRow().getByTestId("task-outcome").textContent()).toBe("核实后排除");

    // The task's history says who did what (the row may still be open from before).
    const detail = page.locator(".signal-detail:visible");
    if ((await detail.count()) === 0) await poorRow().locator("td").nth(5).click();
    await expect.poll(() => detail.textContent()).toContain("登记核实结果：核实后排除");
    expect(await detail.textContent()).toContain("指派核实");
    await page.locator(".ant-message-notice").first().waitFor({ state: "detached" });
    await page.screenshot({ path: join(SCREENSHOTS, "signals-outcome.png") });

    // The task is no longer among the open verification tasks, but among the done ones.
    let loaded = listed();
    await page.getByTestId("main-menu").getByText("核实任务").click();
    await page.waitForURL("**/verifications**");
    await loaded;
    expect(await poorRow().count()).toBe(0);
    loaded = listed();
    await page.getByText("已办结", { exact: true }).click();
    await loaded;
    await poorRow().waitFor();
    expect(await poorRow().textContent()).toContain("核实后排除");
  });

  it("shows the household's open signals in its 风险预警 card", async () => {
    await page.goto(`${fixture.url}/households/${poor.number}`);
    const risk = page.getByTestId("household-risk");
    await risk.getByTestId("risk-item").first().waitFor();
    const text = (await risk.textContent()) ?? "";
    expect(text).toContain("风险预警");
    expect(text).toContain(RULE_NAME);
    expect(text).toContain("核实期限");
    // It sits above the members.
    const [riskBox, membersBox] = await Promise.all([
      risk.boundingBox(),
      page.getByTestId("members").boundingBox(),
    ]);
    expect(riskBox!.y).toBeLessThan(membersBox!.y);
    await page.screenshot({ path: join(SCREENSHOTS, "household-risk.png") });
  });

  it("marks a broken condition where it is wrong in 政策规则, and clears it when fixed", async () => {
    await page.getByTestId("main-menu").getByText("政策规则").click();
    await page.waitForURL("**/policy");
    await page.getByTestId("edit-income.below_line").click();
    const condition = page.getByTestId("condition-income.below_line");
    const original = await condition.inputValue();
    expect(original).toBe("!h.monitored && h.perCapitaIncome < policy.monitoringLine");

    await condition.fill(BROKEN);
    const error = page.getByTestId("cel-error");
    await error.waitFor();
    expect(await page.getByTestId("cel-error-mark").textContent()).toMatch(/^\.?perCapitaIncom$/);
    expect(await error.textContent()).toContain("perCapitaIncom");
    expect(await error.textContent()).toMatch(/第 1[78] 个字符/);
    await page.getByTestId("check-errors").waitFor();
    expect(await page.getByTestId("preview-button").isDisabled()).toBe(true);
    expect(await page.getByTestId("publish").isDisabled()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, "policy-error.png") });

    await condition.fill(original);
    await error.waitFor({ state: "detached" });

    await page.getByTestId("tab-parameters").click();
    await page.getByTestId("param-monitoringLine").fill("8000");
    await page.getByTestId("check-ok").waitFor();
    expect(await page.getByTestId("preview-button").isDisabled()).toBe(false);
  });

  it("previews a higher monitoring line by town when the preview route exists", async () => {
    const hasPreview = fixture.app.hasRoute({ method: "POST", url: "/api/policy/preview" });
    if (!hasPreview) {
      // Until it lands the editor says so instead of failing.
      await page.getByTestId("preview-button").click();
      await page.getByText("预览功能尚未提供").first().waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, "policy-draft.png") });
      return;
    }
    await page.getByTestId("preview-button").click();
    const preview = page.getByTestId("preview");
    await preview.waitFor();
    // 8,000 instead of 7,500 yuan: households between the two lines come in.
    const between = fixture.households
      .map((h) => h.household.householdNumber!)
      .filter((n) => n !== poor.number);
    await expect
      .poll(() => page.getByTestId("preview-totals").textContent())
      .toMatch(/新增 [1-9]\d* 户/);
    expect(await page.getByTestId("preview-rules").textContent()).toContain(RULE_NAME);
    const town = page.getByTestId("preview-region").filter({ hasText: "欣山镇" });
    expect(await town.textContent()).toMatch(/\+[1-9]/);
    const gained = page.getByTestId("preview-gained");
    const row = gained.locator(".ant-table-row").filter({ hasText: RULE_NAME }).first();
    const number = (await row.locator("a").textContent()) ?? "";
    expect(between).toContain(number);
    await preview.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, "policy-preview.png") });
  });

  it("publishes the new line and the gained household gets its signal", async () => {
    const hasPublish = fixture.app.hasRoute({
      method: "POST",
      url: "/api/policy/drafts/:id/publish",
    });
    if (!hasPublish) return;
    const gained = page.getByTestId("preview-gained");
    const number =
      (await gained
        .locator(".ant-table-row")
        .filter({ hasText: RULE_NAME })
        .first()
        .locator("a")
        .textContent()) ?? "";
    await page.getByTestId("publish").click();
    const confirm = page.locator(".ant-modal-confirm", { hasText: "发布政策新版本" });
    await clickWhenSettled(confirm, confirm.getByRole("button", { name: /发\s*布/ }));
    const result = page.getByTestId("publish-result");
    await result.waitFor();
    await confirm.waitFor({ state: "detached" });
    expect(await result.textContent()).toMatch(/新增预警[1-9]/);
    await page.screenshot({ path: join(SCREENSHOTS, "policy-published.png") });
    const ok = page.getByRole("button", { name: /确\s*定|OK|知道了/ });
    const done = page.locator(".ant-modal-confirm").filter({ has: ok });
    await clickWhenSettled(done, done.locator(ok));

    // The new version is in force: its id ends the chain and the line reads 8,000.
    await expect
      .poll(() => page.locator(".policy-chain .ant-tag").last().textContent())
      .toMatch(/-web-/);
    await page.getByTestId("tab-parameters").click();
    await expect
      .poll(() =>
        page.getByTestId("parameters").locator("tr", { hasText: "monitoringLine" }).textContent(),
      )
      .toContain("8,000");

    // And the household between the lines now has the income signal.
    await page.goto(`${fixture.url}/households/${number}`);
    await expect.poll(() => page.getByTestId("household-risk").textContent()).toContain(RULE_NAME);
  });

  it("sorts the inbox by severity and by deadline, filters by age, and closes an income year", async () => {
    await page.goto(`${fixture.url}/signals`);
    await page.locator(".ant-table-row").first().waitFor();

    let loaded = listed("sort=severity");
    await page.getByTestId("signal-sort").click();
    await page.locator(".ant-select-item-option", { hasText: "严重程度高在前" }).click();
    await loaded;
    await page.waitForURL("**sort=severity**");
    const severities = await page.locator(".ant-table-row td:nth-child(9)").allTextContents();
    const rank = (t: string) => ["高", "中", "低"].findIndex((x) => t.includes(x));
    expect(severities.length).toBeGreaterThan(1);
    expect(severities.map(rank)).not.toContain(-1);
    expect(severities.map(rank)).toEqual([...severities.map(rank)].sort((a, b) => a - b));

    loaded = listed("sort=deadline");
    await page.getByTestId("signal-sort").click();
    await page.locator(".ant-select-item-option", { hasText: "核实期限近在前" }).click();
    await loaded;

    // Found at least 3650 days ago: none (the signals were raised today).
    loaded = listed("olderThanDays=3650");
    await inputOf(page.getByTestId("filter-older")).then((i) => i.fill("3650"));
    await loaded;
    await expect.poll(() => page.locator(".ant-table-row").count()).toBe(0);

    await page.getByTestId("income-close").click();
    const modal = page.locator(".ant-modal", { hasText: "年度收入结转" });
    await modal.waitFor();
    const year = String(new Date().getFullYear() - 1);
    await inputOf(modal.getByTestId("income-close-year")).then((i) => i.fill(year));
    await modal.getByRole("button", { name: /执\s*行/ }).click();
    const result = page.getByTestId("income-close-result");
    await result.waitFor();
    expect(await result.textContent()).toMatch(/新增记录[1-9]/);
    await page.screenshot({ path: join(SCREENSHOTS, "income-close.png") });

    // The household page lists the record.
    await page.goto(`${fixture.url}/households/${poor.number}`);
    await expect
      .poll(() => page.getByTestId("household-incomes").textContent())
      .toContain(`${year} 年人均纯收入`);
  });
});

/**
 * The issue's "done when", as a new user would do it: 新增规则 in 政策规则 with a misspelt
 * field, the error pointed at, fixed, previewed, published, and the rule's signal shown on the
 * household it finds. Runs in a fixture of its own, so the other tests' drafts don't interfere.
 */
describe.skipIf(!HAS_CHROMIUM)(`${title}: a new rule from the editor`, () => {
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  let target: string;
  const NAME = "工资性收入骤降至千元";

  beforeAll(async () => {
    await buildWebIfStale();
    fixture = await startFixture();
    const { services, households } = fixture;
    // One household whose wages are set to exactly 1,000 yuan: the new rule finds it alone.
    target = households[2]!.household.householdNumber!;
    const detail = await services.registry.get(SYSTEM_ACTOR, target);
    await services.registry.update(
      SYSTEM_ACTOR,
      target,
      { version: detail.household.version, changes: { wageIncome: 100_000 } },
      { source: "ui" },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
    page.setDefaultTimeout(30_000);
  });

  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it("adds a rule, shows its error, previews, publishes and raises its signal", async () => {
    await page.goto(`${fixture.url}/policy`);
    await page.getByLabel("用户名").fill(USER.username);
    await page.getByLabel("密码").fill(USER.password);
    await page.getByRole("button", { name: /登\s*录/ }).click();
    await page.getByTestId("add-rule").click();
    await page.getByTestId("new-rule-id").fill("local.wage_thousand");
    await page.getByTestId("new-rule-name").fill(NAME);
    // A misspelt field: wageIncom.
    await page.getByTestId("new-rule-when").fill("h.wageIncom > 999 && h.wageIncome < 1001");
    await page.getByTestId("new-rule-message").fill("工资性收入仅 {wage} 元");
    await page.getByLabel("证据").fill("wage: h.wageIncome");
    await page
      .locator(".ant-modal")
      .getByRole("button", { name: /确\s*定/ })
      .click();

    const rule = page.getByTestId("rule-local.wage_thousand");
    await rule.waitFor();
    const error = rule.getByTestId("cel-error");
    await error.waitFor();
    expect(await rule.getByTestId("cel-error-mark").textContent()).toMatch(/wageIncom$/);
    expect(await page.getByTestId("publish").isDisabled()).toBe(true);

    await rule
      .getByTestId("condition-local.wage_thousand")
      .fill("h.wageIncome > 999 && h.wageIncome < 1001");
    await error.waitFor({ state: "detached" });
    await page.getByTestId("check-ok").waitFor();

    await page.getByTestId("preview-button").click();
    await page.getByTestId("preview").waitFor();
    const gained = page.getByTestId("preview-gained");
    const row = gained.locator(".ant-table-row").filter({ hasText: NAME });
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.locator("a").textContent()).toBe(target);

    await page.getByTestId("publish").click();
    const confirm = page.locator(".ant-modal-confirm", { hasText: "发布政策新版本" });
    await clickWhenSettled(confirm, confirm.getByRole("button", { name: /发\s*布/ }));
    await page.getByTestId("publish-result").waitFor();
    const ok = page.getByRole("button", { name: /确\s*定|OK|知道了/ });
    const done = page.locator(".ant-modal-confirm").filter({ has: ok });
    await clickWhenSettled(done, done.locator(ok));

    await page.goto(`${fixture.url}/households/${target}`);
    await expect.poll(() => page.getByTestId("household-risk").textContent()).toContain(NAME);
    expect(await page.getByTestId("household-risk").textContent()).toContain("工资性收入仅 1000");
    await page.screenshot({ path: join(SCREENSHOTS, "policy-new-rule.png") });
  });
});
