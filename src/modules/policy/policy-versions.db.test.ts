import { expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { household, VILLAGE_A } from "../../../test/factories.ts";
import { AppError } from "../../core/errors.ts";
import { createServices } from "../../server/services.ts";
import { type Actor, SYSTEM_ACTOR } from "../auth/index.ts";

const county: Actor = {
  id: 1,
  username: "xian",
  displayName: "县",
  role: "county",
  regionCode: "360726",
};
const town: Actor = {
  id: 2,
  username: "zhen",
  displayName: "镇",
  role: "town",
  regionCode: "360726100",
};

const draft = (line: number, extra = "") => `id: county-360726-2026-local
level: county
region: "360726"
year: 2026
extends: county-360726-2026
title: 安远县调整监测范围（草稿）
parameters:
  monitoringLine: ${line}
${extra}`;

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

describeEachEngine("policy versions", (database) => {
  const clock = new Date("2026-08-01T02:00:00Z");

  it("drafts, publishes and applies a county's new monitoring line; published versions are immutable", async () => {
    const services = createServices({ database: database(), now: () => clock });
    await services.regions.load(SYSTEM_ACTOR, "360726");
    const h = household(VILLAGE_A, { seed: 61 });
    h.household.wageIncome = 1_900_000; // (19,000 + 6,000 + 3,000 − 1,500) ÷ 3 ≈ 8,833 yuan
    await services.registry.bulkCreate(SYSTEM_ACTOR, [h], { source: "demo" });
    await services.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    const before = await services.signals.list(county, {
      status: "open",
      limit: 50,
      rule: "income.below_line",
    });
    expect(before.items).toHaveLength(0);

    expect((await failure(services.policyVersions.saveDraft(town, draft(9000)))).kind).toBe(
      "not_allowed",
    );
    const broken = await failure(
      services.policyVersions.saveDraft(
        county,
        draft(
          9000,
          'rules:\n  - id: income.below_line\n    when: "h.perCapitaIncome < policy.nope"\n',
        ),
      ),
    );
    expect(broken.code).toBe("policy_rule_error");
    const saved = await services.policyVersions.saveDraft(county, draft(9000));
    expect(saved).toMatchObject({
      status: "draft",
      version: 1,
      policyId: "county-360726-2026-local",
    });
    // A draft changes nothing until published.
    expect(services.policies.forRegion("360726100201", 2026).parameters.monitoringLine).toBe(7500);

    const published = await services.policyVersions.publish(county, saved.id);
    expect(published.status).toBe("published");
    expect(services.policies.forRegion("360726100201", 2026).parameters.monitoringLine).toBe(9000);
    expect((await failure(services.policyVersions.publish(county, saved.id))).code).toBe(
      "policy_version_published",
    );
    await services.monitoring.sweep(SYSTEM_ACTOR, { region: "360726" });
    const after = await services.signals.list(county, {
      status: "open",
      limit: 50,
      rule: "income.below_line",
    });
    expect(after.items.map((i) => i.householdNumber)).toEqual([h.household.householdNumber]);
    expect(after.items[0]!.message).toContain("9000");

    // A fresh set of services (a restart) sees the published version once refreshed.
    const restarted = createServices({ database: database(), now: () => clock });
    await restarted.policyVersions.refresh();
    expect(restarted.policies.forRegion("360726100201", 2026).parameters.monitoringLine).toBe(9000);
    const versions = await restarted.policyVersions.list(county);
    expect(versions.map((v) => [v.version, v.status])).toEqual([[1, "published"]]);
  });
});
