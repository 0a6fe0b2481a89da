/**
 * Assistance on a phone (390×844): a helper signs in, sees their paired households with the
 * visit due, records a visit with a photo and adds a measure, and prints the assistance card,
 * which shows the measure and never an ID number. A county officer sees the pairing screen.
 * Drives Debian's Chromium through playwright-core; skipped (with the reason) when it is missing.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../src/modules/auth/index.ts";
import { buildWebIfStale, type Fixture, startFixture, USER } from "./fixture.ts";

const CHROMIUM = process.env.FANGPIN_CHROMIUM ?? "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SHOTS = process.env.FANGPIN_SHOTS ?? tmpdir();
const HELPER = { username: "bangfu", password: "Fangpin-e2e-2026", displayName: "吴帮扶" };
/** A 1×1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

const title = HAS_CHROMIUM
  ? "assistance in Chromium on a phone"
  : `assistance in Chromium — skipped: no browser at ${CHROMIUM}`;

describe.skipIf(!HAS_CHROMIUM)(title, () => {
  let fixture: Fixture;
  let browser: Browser;
  let page: Page;
  let number = "";
  const photo = join(tmpdir(), `fangpin-visit-${process.pid}.png`);

  beforeAll(async () => {
    await buildWebIfStale();
    fixture = await startFixture();
    const { services } = fixture;
    await services.auth.addUser({ ...HELPER, role: "helper", region: "360726" }, SYSTEM_ACTOR);
    const cadre = await services.assistance.addCadre(SYSTEM_ACTOR, {
      name: "吴帮扶",
      unit: "县人社局",
      rank: "staff",
      phone: "13800005555",
      region: "360726",
      username: HELPER.username,
    });
    number = fixture.households[2]!.household.householdNumber!; // monitored (seed 3)
    await services.assistance.pair(SYSTEM_ACTOR, { cadreId: cadre.id, householdNumber: number });
    writeFileSync(photo, PNG);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
    page = await browser.newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: "zh-CN",
    });
    page.setDefaultTimeout(30_000);
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it("lets a helper record a visit with a photo and a measure, and prints the card", async () => {
    await page.goto(`${fixture.url}/assist/mine`);
    await page.getByLabel("用户名").fill(HELPER.username);
    await page.getByLabel("密码").fill(HELPER.password);
    await page.getByRole("button", { name: /登\s*录/ }).click();
    await page.getByTestId("my-households").waitFor();
    const row = page.getByTestId("my-households").locator(".assist__row", { hasText: "张3" });
    expect(await row.textContent()).toContain("尚未走访");
    await page.screenshot({ path: join(SHOTS, "assist-mine.png") });
    await row.click();
    await page.getByTestId("household-plan").waitFor();

    // A measure from the catalogue.
    await page.getByTestId("open-measure").click();
    const measureForm = page.getByTestId("measure-form");
    await measureForm.waitFor();
    await measureForm.getByTestId("measure-code").click();
    await page.keyboard.type("技能培训");
    await page.keyboard.press("Enter");
    await measureForm.locator(".ant-form-item", { hasText: "金额" }).locator("input").fill("800");
    await page.screenshot({ path: join(SHOTS, "assist-measure.png") });
    await measureForm.getByTestId("measure-save").click();
    await page.getByTestId("measure-list").getByText("技能培训").waitFor();

    // A visit with the photo and the measure discussed.
    await page.getByTestId("open-visit").click();
    const visitForm = page.getByTestId("visit-form");
    await visitForm.waitFor();
    await visitForm.getByTestId("visit-notes").fill("了解培训意愿，已报名");
    await visitForm.getByRole("checkbox").first().check();
    await visitForm.locator('input[type="file"]').setInputFiles(photo);
    await page.screenshot({ path: join(SHOTS, "assist-visit.png") });
    await visitForm.getByTestId("visit-save").click();
    await page.getByTestId("visit-list").getByText("了解培训意愿，已报名").waitFor();
    await page.screenshot({ path: join(SHOTS, "assist-plan.png"), fullPage: true });

    // The plan's goal (一户一策).
    await page.getByTestId("plan-goal").fill("技能培训后稳定务工");
    await page.getByRole("button", { name: /保\s*存/ }).click();
    await expect
      .poll(async () => (await fixture.services.assistance.plan(SYSTEM_ACTOR, number)).goal)
      .toBe("技能培训后稳定务工");

    const plan = await fixture.services.assistance.plan(SYSTEM_ACTOR, number);
    expect(plan.measures).toEqual([
      expect.objectContaining({ name: "技能培训", amountFen: 80_000, developmentType: true }),
    ]);
    expect(plan.visits).toEqual([
      expect.objectContaining({ hasPhoto: true, measureIds: [plan.measures[0]!.id] }),
    ]);

    // The card opens in a new tab, ready to print, with the measure and no ID number.
    const [card] = await Promise.all([
      page.context().waitForEvent("page"),
      page.getByTestId("print-card").click(),
    ]);
    await card.waitForLoadState();
    const text = (await card.textContent("body")) ?? "";
    expect(text).toContain("帮扶明白卡");
    expect(text).toContain("技能培训");
    expect(text).toContain("800.00 元");
    expect(text).toContain("技能培训后稳定务工");
    expect(text).toContain("13800005555");
    for (const m of fixture.households[2]!.members) expect(text).not.toContain(m.idNumber!);
    expect(text).not.toMatch(/\d{17}[\dXx]/);
    await card.emulateMedia({ media: "print" });
    await card.screenshot({ path: join(SHOTS, "assist-card.png"), fullPage: true });
    const pdf = await card.pdf({ format: "A4" });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    await card.close();
  });

  it("shows the county the pairing screen with quotas and households without a helper", async () => {
    const county = await browser.newPage({
      viewport: { width: 1280, height: 800 },
      locale: "zh-CN",
    });
    await county.goto(`${fixture.url}/assist`);
    await county.getByLabel("用户名").fill(USER.username);
    await county.getByLabel("密码").fill(USER.password);
    await county.getByRole("button", { name: /登\s*录/ }).click();
    await county.getByTestId("cadres-page").waitFor();
    await county.locator(".ant-table-row", { hasText: "吴帮扶" }).waitFor();
    expect(await county.locator(".ant-table-row", { hasText: "吴帮扶" }).textContent()).toContain(
      "1 / 3",
    );
    await county.getByRole("tab", { name: /未结对农户/ }).click();
    // Seed 6: monitored and formerly poor, with no helper.
    const unpaired = fixture.households[5]!.household.householdNumber!;
    await county.locator(".ant-table-row", { hasText: unpaired }).waitFor();
    await county.screenshot({ path: join(SHOTS, "assist-cadres.png") });
    // Coverage: household 3 has a 就业帮扶 measure, nothing for 因病 or 缺劳动力.
    await county.getByRole("tab", { name: /政策到位率/ }).click();
    const gap = county.getByTestId("coverage").locator(".ant-table-row", { hasText: number });
    await gap.waitFor();
    expect(await gap.textContent()).toContain("因病");
    expect(await county.getByTestId("coverage").textContent()).toContain("0 / 3 户");
    await county.screenshot({ path: join(SHOTS, "assist-coverage.png") });
    await county.close();
  });
});
