/**
 * Cases in a real browser. (a) A village cadre opens an identification case from the household's
 * page, records the visit, the consent and the deliberation (with the minutes photo) and posts the
 * village's notice; someone objects on the public page and looks the objection up by its receipt;
 * the village resolves it; after the notice period the town reviews, the county approves and
 * announces in batch, and the household's page shows it monitored. (b) Risk elimination for a
 * household that does not meet the conditions is refused, with every reason listed.
 * The server's clock (and the browsers') is the test's, moved on so the notice period passes.
 * Drives Debian's Chromium through playwright-core; skipped (with the reason) when it is missing.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chinaDate } from "../../src/core/dates.ts";
import { addDays } from "../../src/core/workflow.ts";
import { SYSTEM_ACTOR } from "../../src/modules/auth/index.ts";
import { localFileStore } from "../../src/modules/cases/index.ts";
import { chineseDate } from "../../src/modules/cases/notice.html.ts";
import { VILLAGE_A } from "../factories.ts";
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
const PASSWORD = "Fangpin-e2e-2026";
const TOWN = VILLAGE_A.slice(0, 9);
/** An 18-character resident ID number anywhere in a text. */
const ID_NUMBER = /(?<![0-9])\d{17}[\dXx](?![0-9])/;
/**
 * Today in China. The clocks start today at 10:00 (the browser keeps session cookies by its own
 * time, so the server's clock may move forward but not into the past).
 */
const TODAY = chinaDate(new Date());
const at = (day: string) => new Date(`${day}T02:00:00Z`);
/** A tiny PNG: the signature is what the server checks. */
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);

const title = HAS_CHROMIUM
  ? "cases in Chromium"
  : `cases in Chromium — skipped: no browser at ${CHROMIUM} (apt-get install chromium fonts-noto-cjk, or set FANGPIN_CHROMIUM)`;

describe.skipIf(!HAS_CHROMIUM)(title, () => {
  /** The server's clock, moved on by the tests. */
  let clock = at(TODAY);
  let fixture: Fixture;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const filesDir = mkdtempSync(join(tmpdir(), "fangpin-e2e-files-"));
  /** The household identified in (a), the one refused in (b), and an overdue case's. */
  let target: { number: string; head: string };
  let refusedHousehold: { number: string; head: string };
  let overdueCase: string;
  let timelyCase: string;
  /** Household 7, whose verification task becomes a case. */
  let screened: { number: string; head: string };
  let caseNumber = "";
  let receipt = "";
  /** The public's browser: no session. */
  let publicContext: BrowserContext;

  beforeAll(async () => {
    await buildWebIfStale();
    fixture = await startFixture({ now: () => clock, files: localFileStore(filesDir) });
    const { services, households } = fixture;
    for (const [username, role, region] of [
      ["cun", "village", VILLAGE_A],
      ["xiang", "town", TOWN],
    ] as const)
      await services.auth.addUser(
        { username, password: PASSWORD, role, region, displayName: `${username}测试` },
        SYSTEM_ACTOR,
      );
    const headOf = (i: number) => households[i]!.members[0]!.name!;
    // Household 1 (ordinary, not monitored) is identified in (a).
    target = { number: households[0]!.household.householdNumber!, head: headOf(0) };
    // Household 6 (monitored, 脱贫不稳定户) was identified two months ago and has no safe water.
    const six = households[5]!.household.householdNumber!;
    const detail = await services.registry.get(SYSTEM_ACTOR, six);
    await services.registry.update(
      SYSTEM_ACTOR,
      six,
      {
        version: detail.household.version,
        changes: { identifiedMonth: TODAY.slice(0, 7), safeWater: false },
      },
      { source: "ui", sourceRef: "入户核实" },
    );
    refusedHousehold = { number: six, head: headOf(5) };
    // Household 2's (a 脱贫户's) case was opened a month ago: it is overdue.
    const late = await services.cases.open(SYSTEM_ACTOR, {
      householdNumber: households[1]!.household.householdNumber!,
      type: "identification",
      category: "unstable",
      riskFactors: ["accident"],
      leadDate: addDays(TODAY, -30),
    });
    overdueCase = late.case;
    expect(late.overdue).toBe(true);
    // Household 4's case, opened afterwards, is within its deadline.
    const recent = await services.cases.open(SYSTEM_ACTOR, {
      householdNumber: households[3]!.household.householdNumber!,
      type: "identification",
      category: "unstable",
      riskFactors: ["illness"],
    });
    timelyCase = recent.case;
    expect(recent.overdue).toBe(false);
    // Household 7 (ordinary) loses most of its wages: the sweep asks for a verification visit.
    const seven = households[6]!.household.householdNumber!;
    const before = await services.registry.get(SYSTEM_ACTOR, seven);
    await services.registry.update(
      SYSTEM_ACTOR,
      seven,
      { version: before.household.version, changes: { wageIncome: 100_000 } },
      { source: "feed", sourceRef: "人社 2026-05" },
    );
    await services.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    screened = { number: seven, head: headOf(6) };

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
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await fixture?.close();
    rmSync(filesDir, { recursive: true, force: true });
  });

  /** A browser with its own session (and the server's date), signed in as `username`. */
  async function signIn(username: string, password = PASSWORD): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
    });
    await context.clock.setFixedTime(clock);
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${fixture.url}/login`);
    await page.getByLabel("用户名").fill(username);
    await page.getByLabel("密码").fill(password);
    await page.getByRole("button", { name: /登\s*录/ }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/login"));
    return page;
  }

  /** Moves the server's clock and every browser's. */
  async function setClock(day: string) {
    clock = at(day);
    for (const c of contexts) await c.clock.setFixedTime(clock);
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  /** Clicks the current step's button and waits for the case to have moved. */
  async function advance(page: Page) {
    const done = page.waitForResponse(
      (r) => r.url().includes("/advance") && r.request().method() === "POST",
    );
    await page.getByTestId("advance").click();
    const res = await done;
    expect(res.status(), await res.text()).toBe(200);
  }

  let village: Page;

  it("lists the village's work with the overdue case first, in red", async () => {
    village = await signIn("cun");
    // The header menu folds entries into “…” when the bar is narrow: open the list by its address.
    await village.goto(`${fixture.url}/cases`);
    await village.waitForURL("**/cases");
    const rows = village.locator(".ant-table-row");
    await expect.poll(() => rows.count()).toBe(2);
    // The overdue case first (although opened earlier), its deadline red and tagged.
    expect(await rows.nth(0).textContent()).toContain(overdueCase);
    expect(await rows.nth(0).getByTestId("case-overdue").textContent()).toContain("逾期");
    expect(await rows.nth(1).textContent()).toContain(timelyCase);
    expect(await rows.nth(1).getByTestId("case-overdue").count()).toBe(0);
    await shot(village, "cases-village-list");
  });

  it("opens an identification case from the household's page", async () => {
    await village.goto(`${fixture.url}/households/${target.number}`);
    await village.getByTestId("household-cases").waitFor();
    await village.getByTestId("open-case").click();
    const modal = village.getByTestId("open-case-modal").locator(".ant-modal");
    await modal.waitFor();
    await modal.getByText("边缘易致贫户").click();
    await modal.getByTestId("case-risks").click();
    // Each key only once its target is there: under load, text typed before the menu opened
    // went nowhere, and Escape then closed the dialog instead of the menu.
    const menu = village.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)");
    await menu.waitFor();
    await village.keyboard.type("因病");
    await menu.locator(".ant-select-item-option-active", { hasText: "因病" }).waitFor();
    await village.keyboard.press("Enter");
    await modal.locator(".ant-select-selection-item", { hasText: "因病" }).waitFor();
    await village.keyboard.press("Escape");
    await modal.getByTestId("case-check-ok").waitFor();
    await shot(village, "case-open");
    await modal.getByRole("button", { name: /立\s*案/ }).click();
    await village.waitForURL("**/cases/**");
    caseNumber = decodeURIComponent(new URL(village.url()).pathname.split("/").pop()!);
    expect(caseNumber).toMatch(/^360726-\d{4}-\d{6}$/);
    await village.getByTestId("case-step").waitFor();
    const opened = await fixture.services.cases.get(SYSTEM_ACTOR, caseNumber);
    expect(opened.deadline).toBe(addDays(TODAY, 15));
    expect(await village.getByTestId("case-head").textContent()).toContain(opened.deadline);
  });

  it("records the visit, the consent and the deliberation with its minutes", async () => {
    /** The current step's title (the button below names the next step). */
    const step = village.getByTestId("case-step").locator(".case-step__title");
    expect(await step.textContent()).toContain("入户核实");
    await village.getByTestId("findings").fill("家中主要劳动力今年 3 月患病住院");
    await advance(village);
    await expect.poll(() => step.textContent()).toContain("承诺授权");
    // The visit's findings were thin: the case goes back with a reason, and is visited again.
    await village.getByTestId("send-back").click();
    const back = village.getByTestId("reason-modal").locator(".ant-modal");
    await back.getByTestId("reason").fill("核实情况不完整，请补充收入变化");
    await back.getByRole("button", { name: /确\s*定/ }).click();
    await expect.poll(() => step.textContent()).toContain("入户核实");
    await expect
      .poll(() => village.getByTestId("case-log").textContent())
      .toContain("核实情况不完整，请补充收入变化");
    await village.getByTestId("findings").fill("家中主要劳动力今年 3 月患病住院，收入骤降");
    await advance(village);
    await expect.poll(() => step.textContent()).toContain("承诺授权");
    await village.getByTestId("signed-by").fill(target.head);
    await advance(village);
    await expect.poll(() => step.textContent()).toContain("信息比对");
    await advance(village);
    await expect.poll(() => step.textContent()).toContain("民主评议");
    await village.getByTestId("meeting").fill("村民代表大会");
    await village
      .locator('input[data-testid="attendees"], [data-testid="attendees"] input')
      .fill("31");
    await village
      .locator('input[data-testid="votesFor"], [data-testid="votesFor"] input')
      .fill("29");
    await village
      .locator('input[data-testid="votesAgainst"], [data-testid="votesAgainst"] input')
      .fill("1");
    await village
      .locator('input[data-testid="abstentions"], [data-testid="abstentions"] input')
      .fill("1");
    // The minutes photo.
    await village.getByTestId("attachment-kind").click();
    await village.locator(".ant-select-item-option", { hasText: "评议记录" }).click();
    const uploaded = village.waitForResponse((r) => r.url().includes("/attachments"));
    await village
      .getByTestId("case-attachments")
      .locator('input[type="file"]')
      .setInputFiles({ name: "评议记录.png", mimeType: "image/png", buffer: PNG });
    expect((await uploaded).status()).toBe(200);
    await village.getByTestId("attachment").waitFor();
    expect(await village.getByTestId("attachment").textContent()).toContain("评议记录.png");
    await shot(village, "case-deliberation");
    await advance(village);
    await expect.poll(() => step.textContent()).toContain("公示");
    expect(await village.getByTestId("case-step").textContent()).toContain("尚未张贴公示");

    // Who did what, with the recorded votes, is in the log and on the steps.
    const log = (await village.getByTestId("case-log").textContent()) ?? "";
    expect(log).toContain("同意：29");
    expect(log).toContain("村民代表大会");
    expect(log).toContain("比对部门数据");
    expect(await village.getByTestId("case-steps").textContent()).toContain("cun");
  });

  it("posts the village's notice from 公示公告, with the A4 print view and the public page", async () => {
    await village.goto(`${fixture.url}/cases`);
    await village.getByTestId("to-notices").click();
    await village.waitForURL("**/notice-batches**");
    await village.getByTestId("start-batch").click();
    const modal = village.getByTestId("post-notice-modal").locator(".ant-modal");
    await modal.waitFor();
    await modal.getByText(target.head).click();
    await modal.getByLabel("村委会电话").fill("0797-3710001");
    await modal.getByRole("button", { name: "张贴公示" }).click();
    await modal.getByText("已张贴公示").waitFor();
    await shot(village, "notice-posted");
    const print = await modal.getByTestId("print-notice").getAttribute("href");
    expect(await modal.getByTestId("public-page").getAttribute("href")).toBe(
      `/notices/${VILLAGE_A}`,
    );
    await modal.getByRole("button", { name: /确\s*定/ }).click();

    const sheet = await village.context().newPage();
    await sheet.goto(`${fixture.url}${print}`);
    const text = (await sheet.locator("body").textContent()) ?? "";
    expect(text).toContain(target.head);
    expect(text).toContain("纳入监测（边缘易致贫户）");
    const batch = await fixture.services.cases.batch(
      SYSTEM_ACTOR,
      Number(/\/api\/notice-batches\/(\d+)\/print/.exec(print ?? "")![1]),
    );
    expect(batch.startsOn).toBe(TODAY);
    expect(text).toContain(`公示期为${chineseDate(batch.startsOn)}至${chineseDate(batch.endsOn)}`);
    expect(text).not.toMatch(ID_NUMBER);
    await sheet.screenshot({ path: join(SCREENSHOTS, "notice-print.png"), fullPage: true });
    await sheet.close();
  });

  it("takes an objection on the public page and answers its receipt number", async () => {
    publicContext = await browser.newContext({
      locale: "zh-CN",
      viewport: { width: 900, height: 1000 },
    });
    await publicContext.clock.setFixedTime(clock);
    contexts.push(publicContext);
    const pub = await publicContext.newPage();
    await pub.goto(`${fixture.url}/notices/${VILLAGE_A}`);
    expect(await pub.locator("h1").first().textContent()).toContain("公示");
    const body = (await pub.locator("body").textContent()) ?? "";
    await pub.screenshot({ path: join(SCREENSHOTS, "notice-public.png"), fullPage: true });
    expect(body).toContain(target.head);
    expect(body).not.toMatch(ID_NUMBER);
    await pub.getByLabel("对哪一户有异议").selectOption({ label: `1. ${target.head}` });
    await pub.getByLabel("异议内容").fill("听说该户家里新买了小轿车，请核实");
    await pub.getByLabel(/联系方式/).fill("13600000000");
    await pub.getByRole("button", { name: "提交异议" }).click();
    await pub.getByRole("heading", { name: "异议已收到" }).waitFor();
    receipt = /回执号：(YY\d{8}[0-9A-F]{10})/.exec(
      (await pub.locator("body").textContent()) ?? "",
    )![1]!;
    await pub.screenshot({ path: join(SCREENSHOTS, "objection-receipt.png"), fullPage: true });

    await pub.goto(`${fixture.url}/notices/${VILLAGE_A}`);
    await pub.getByLabel("回执号").fill(receipt);
    await pub.getByRole("button", { name: "查询" }).click();
    await pub.getByText("已收到，正在调查核实").waitFor();
    await pub.screenshot({ path: join(SCREENSHOTS, "objection-lookup.png"), fullPage: true });
    expect(await pub.locator("body").textContent()).not.toContain("13600000000");
  });

  it("shows the paused case to the village, which resolves the objection", async () => {
    await village.goto(`${fixture.url}/cases/${caseNumber}`);
    await village.getByTestId("case-paused-alert").waitFor();
    const objections = village.getByTestId("objections");
    expect(await objections.textContent()).toContain(receipt);
    expect(await objections.textContent()).toContain("小轿车");
    await shot(village, "case-paused");
    await objections.getByTestId("resolve-objection").click();
    const modal = village.getByTestId("resolve-modal").locator(".ant-modal");
    await modal.getByTestId("outcome-dismissed").click();
    await modal.getByTestId("resolution").fill("经入户核实，该户没有购买小轿车，异议不成立");
    await modal.getByRole("button", { name: /保\s*存/ }).click();
    await village.getByTestId("objection-resolution").waitFor();
    expect(await village.getByTestId("objection-resolution").textContent()).toContain("异议不成立");
    // Back to the notice, which cannot end before its period.
    await village.getByTestId("notice-period").waitFor();
    expect(await village.getByTestId("advance").isDisabled()).toBe(true);

    const pub = await publicContext.newPage();
    await pub.goto(`${fixture.url}/notices/receipt?number=${receipt}`);
    const text = (await pub.locator("body").textContent()) ?? "";
    expect(text).toContain("已办结");
    expect(text).toContain("经入户核实，该户没有购买小轿车");
    expect(text).not.toContain("小轿车，请核实");
    expect(text).not.toContain("13600000000");
    await pub.screenshot({ path: join(SCREENSHOTS, "objection-resolved.png"), fullPage: true });
    await pub.close();
  });

  it("after the notice period: the town reviews, the county approves and announces in batch", async () => {
    const { endsOn } = (await fixture.services.cases.get(SYSTEM_ACTOR, caseNumber)).notice!;
    await setClock(addDays(endsOn, 1));
    await village.reload();
    await village.getByTestId("notice-period").waitFor();
    await advance(village);
    await village.getByTestId("not-yours").waitFor();
    expect(await village.getByTestId("not-yours").textContent()).toContain("乡镇审核");

    const town = await signIn("xiang");
    await town.goto(`${fixture.url}/cases`);
    const row = town.locator(".ant-table-row", { hasText: caseNumber });
    await row.waitFor();
    expect(await row.textContent()).toContain("乡镇审核");
    await row.getByTestId("case-link").click();
    await town.getByTestId("case-step").waitFor();
    await town.getByTestId("step-comment").fill("材料齐全，同意上报");
    await advance(town);
    await town.getByTestId("not-yours").waitFor();

    const county = await signIn(USER.username, USER.password);
    await county.goto(`${fixture.url}/cases`);
    const mine = county.locator(".ant-table-row", { hasText: caseNumber });
    await mine.waitFor();
    await mine.locator(".ant-checkbox-input").check();
    await shot(county, "cases-county-list");
    await county.getByTestId("approve-many").click();
    const approve = county.locator(".ant-modal-confirm");
    await clickWhenSettled(approve, approve.getByRole("button", { name: /确\s*定/ }));
    await expect.poll(() => mine.textContent()).toContain("公告");
    await mine.locator(".ant-checkbox-input").check();
    await county.getByTestId("announce-many").click();
    const announce = county.locator(".ant-modal-confirm");
    await clickWhenSettled(announce, announce.getByRole("button", { name: /确\s*定/ }));
    await mine.waitFor({ state: "detached" });

    // The household is now monitored, through a history event with the case as its source.
    await county.goto(`${fixture.url}/households/${target.number}`);
    const head = county.getByTestId("household-head");
    await expect.poll(() => head.textContent()).toContain("边缘易致贫户");
    expect(await head.textContent()).toContain("风险未消除");
    await expect.poll(() => county.getByTestId("history").textContent()).toContain(caseNumber);
    expect(await county.getByTestId("household-cases").textContent()).toContain("办结");
    await shot(county, "household-monitored");
  });

  it("refuses risk elimination for a household that does not meet the conditions, listing why", async () => {
    await village.goto(`${fixture.url}/households/${refusedHousehold.number}`);
    await village.getByTestId("open-case").click();
    const modal = village.getByTestId("open-case-modal").locator(".ant-modal");
    await modal.waitFor();
    // As a person would: the form has opened and checked the default type before it changes.
    await modal.getByTestId("case-refused").or(modal.getByTestId("case-check-ok")).waitFor();
    await modal.getByTestId("case-type").click();
    await village.locator(".ant-select-item-option", { hasText: "风险消除" }).click();
    await modal.getByRole("button", { name: /立\s*案/ }).click();
    const refused = modal.getByTestId("case-refused");
    await refused.waitFor();
    const expected = await fixture.services.cases.check(
      SYSTEM_ACTOR,
      refusedHousehold.number,
      "risk_elimination",
    );
    expect(expected.ok).toBe(false);
    expect(expected.reasons).toEqual(
      expect.arrayContaining(["识别监测未满 6 个月", "饮水安全未保障"]),
    );
    await expect
      .poll(async () => refused.locator("li").allTextContents())
      .toEqual(expected.reasons);
    await shot(village, "case-refused");
    // Nothing was opened.
    await village.keyboard.press("Escape");
    await modal.waitFor({ state: "hidden" });
    expect(await village.getByTestId("household-cases").textContent()).toContain("该户没有案件");
  });

  it("opens a case from a verification task, which records the case as its outcome", async () => {
    await village.goto(`${fixture.url}/verifications`);
    const row = village
      .locator(".ant-table-row", { hasText: screened.number })
      .filter({ has: village.getByTestId("open-case-from-task") })
      .first();
    await row.waitFor();
    await row.getByTestId("open-case-from-task").click();
    const modal = village.getByTestId("open-case-modal").locator(".ant-modal");
    await modal.waitFor();
    expect(await modal.textContent()).toContain("部门筛查预警");
    await modal.getByText("边缘易致贫户").click();
    await modal.getByTestId("case-risks").click();
    await village.keyboard.type("因务工");
    await village.keyboard.press("Enter");
    await village.keyboard.press("Escape");
    await modal.getByTestId("case-check-ok").waitFor();
    await modal.getByRole("button", { name: /立\s*案/ }).click();
    await village.waitForURL("**/cases/**");
    const opened = decodeURIComponent(new URL(village.url()).pathname.split("/").pop()!);
    const c = await fixture.services.cases.get(SYSTEM_ACTOR, opened);
    expect(c).toMatchObject({
      household: screened.number,
      type: "identification",
      leadSource: "screening",
    });

    // The task is done, its outcome the case.
    await village.goto(`${fixture.url}/verifications?task=done`);
    const done = village.locator(".ant-table-row", { hasText: screened.number }).first();
    await done.getByTestId("task-outcome").waitFor();
    expect(await done.getByTestId("task-outcome").textContent()).toContain("已启动识别程序");
  });
});
