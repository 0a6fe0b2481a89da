import { describe, expect, it } from "vitest";
import { AppError } from "./errors.ts";
import {
  advance,
  caseDeadline,
  close,
  guardsFor,
  isOverdue,
  noticePeriod,
  type Progress,
  pause,
  reasonsOf,
  resume,
  sendBack,
  stateName,
  stepStates,
  type WorkflowDef,
  workflowProblems,
} from "./workflow.ts";

const def: WorkflowDef = {
  name: "识别",
  deadline: "identificationDays",
  conditions: [{ id: "not_monitored", when: "!h.monitored", message: "已是监测对象" }],
  steps: [
    { kind: "visit", roles: ["village"] },
    { kind: "deliberation", roles: ["village"] },
    { kind: "notice", roles: ["village"], days: "noticeDays" },
    { kind: "review", roles: ["town"], guards: [{ id: "g", when: "true", message: "审核条件" }] },
    { kind: "approval", roles: ["county"], recheck: true },
  ],
};
const deadlines = { identificationDays: 15, noticeDays: 5 };
const at = (step: number): Progress => ({ status: "active", step });
const ok = { role: "village", today: "2026-07-01", guards: [] };

function error(f: () => unknown): AppError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error("expected an error");
}

describe("workflow", () => {
  it("computes the decision deadline and the notice period from policy days", () => {
    expect(caseDeadline(def, "2026-06-20", deadlines)).toBe("2026-07-05");
    expect(noticePeriod("2026-07-01", 5)).toEqual({ startsOn: "2026-07-01", endsOn: "2026-07-05" });
    expect(isOverdue("2026-07-05", "2026-07-06", false)).toBe(true);
    expect(isOverdue("2026-07-05", "2026-07-06", true)).toBe(false);
    expect(isOverdue("2026-07-05", "2026-07-05", false)).toBe(false);
    expect(() => caseDeadline({ ...def, deadline: "nope" }, "2026-06-20", deadlines)).toThrow(
      /nope/,
    );
  });

  it("advances step by step, only for the step's roles, and completes after the last", () => {
    expect(advance(def, at(0), ok)).toEqual(at(1));
    expect(error(() => advance(def, at(0), { ...ok, role: "town" })).code).toBe("step_role");
    expect(advance(def, at(0), { ...ok, role: "admin" })).toEqual(at(1));
    expect(error(() => advance(def, at(0), { ...ok, to: "notice" })).code).toBe("step_mismatch");
    expect(advance(def, at(0), { ...ok, to: "deliberation" })).toEqual(at(1));
    expect(advance(def, at(4), { ...ok, role: "county" })).toEqual({
      status: "completed",
      step: 5,
    });
    expect(error(() => advance(def, { status: "completed", step: 5 }, ok)).code).toBe(
      "case_closed",
    );
  });

  it("keeps a notice open until its period has ended", () => {
    expect(error(() => advance(def, at(2), ok)).code).toBe("notice_not_posted");
    const notice = noticePeriod("2026-07-01", 5);
    const early = error(() => advance(def, at(2), { ...ok, today: "2026-07-05", notice }));
    expect(early.code).toBe("notice_period");
    expect(early.message).toContain("2026-07-05");
    expect(advance(def, at(2), { ...ok, today: "2026-07-06", notice })).toEqual(at(3));
  });

  it("refuses with every failed guard's reason; unknown data does not satisfy a guard", () => {
    expect(guardsFor(def, at(3)).map((g) => g.id)).toEqual(["g"]);
    expect(guardsFor(def, at(4)).map((g) => g.id)).toEqual(["not_monitored"]);
    const e = error(() =>
      advance(def, at(3), {
        role: "town",
        today: "2026-07-10",
        guards: [
          { id: "a", ok: false, message: "收入未达标" },
          { id: "b", ok: null, message: "饮水安全未保障" },
          { id: "c", ok: true, message: "不显示" },
        ],
      }),
    );
    expect(e.code).toBe("guard_failed");
    expect(e.detail?.reasons).toEqual(["收入未达标", "饮水安全未保障（相关数据未填写，无法判断）"]);
    expect(reasonsOf([{ id: "x", ok: true, message: "" }])).toEqual([]);
  });

  it("sends a step back with a reason, to the previous or a named earlier step", () => {
    const back = sendBack(def, at(3), { role: "town", reason: "评议记录不全" });
    expect(back).toEqual(at(2));
    expect(sendBack(def, at(3), { role: "town", to: "visit", reason: "重新入户" })).toEqual(at(0));
    expect(error(() => sendBack(def, at(3), { role: "town", reason: " " })).code).toBe(
      "reason_required",
    );
    expect(error(() => sendBack(def, at(3), { role: "village", reason: "理由" })).code).toBe(
      "step_role",
    );
    expect(error(() => sendBack(def, at(0), { role: "village", reason: "理由" })).code).toBe(
      "step_first",
    );
    expect(
      error(() => sendBack(def, at(1), { role: "village", to: "review", reason: "理由" })).code,
    ).toBe("step_mismatch");
  });

  it("pauses on an objection and resumes; a paused case cannot advance but can be closed", () => {
    const paused = pause(at(2));
    expect(paused.status).toBe("paused");
    expect(error(() => advance(def, paused, ok)).code).toBe("case_paused");
    expect(resume(paused)).toEqual(at(2));
    expect(close(def, paused, { role: "village", reason: "异议成立", as: "withdrawn" })).toEqual({
      status: "withdrawn",
      step: 2,
    });
    expect(stateName(def, paused)).toBe("paused");
    expect(stateName(def, at(1))).toBe("deliberation");
  });

  it("shows each step's state and who completed it", () => {
    const states = stepStates(def, at(2), [
      { step: 0, action: "completed", actor: "cunA", at: "t1" },
      { step: 1, action: "completed", actor: "cunA", at: "t2" },
      { step: 1, action: "completed", actor: "cunB", at: "t3" },
    ]);
    expect(states.map((s) => [s.step, s.state, s.actor, s.at])).toEqual([
      ["visit", "done", "cunA", "t1"],
      ["deliberation", "done", "cunB", "t3"],
      ["notice", "active", null, null],
      ["review", "pending", null, null],
      ["approval", "pending", null, null],
    ]);
  });

  it("finds problems in a definition", () => {
    expect(workflowProblems(def)).toEqual([]);
    expect(
      workflowProblems({
        name: "x",
        steps: [
          { kind: "announcement", roles: ["county"] },
          { kind: "visit", roles: ["village"] },
          { kind: "visit", roles: ["village"] },
        ],
      }),
    ).toEqual([
      "步骤 visit 重复；同类步骤出现两次时请给出不同的 id",
      "流程至少要有一个县级审定（approval）步骤",
      "公告（announcement）应为最后一步",
    ]);
  });
});
