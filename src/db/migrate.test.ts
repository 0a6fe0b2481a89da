import { describe, expect, it } from "vitest";
import { droppedElsewhere } from "./migrate.ts";

describe("migrate: retrying when another schema vanished mid-introspection", () => {
  const missing = (message: string) => Object.assign(new Error(message), { code: "42P01" });

  it("retries for a table of another schema that was dropped", () => {
    expect(
      droppedElsewhere(missing('relation "t11685_f842f745.assistance_plans" does not exist'), "t1"),
    ).toBe(true);
    expect(droppedElsewhere(missing('relation "other.facts" does not exist'), undefined)).toBe(
      true,
    );
  });

  it("does not retry for its own schema, an unqualified name or another error", () => {
    expect(droppedElsewhere(missing('relation "t1.households" does not exist'), "t1")).toBe(false);
    expect(droppedElsewhere(missing('relation "households" does not exist'), "t1")).toBe(false);
    expect(
      droppedElsewhere(Object.assign(new Error("syntax error"), { code: "42601" }), "t1"),
    ).toBe(false);
  });
});
