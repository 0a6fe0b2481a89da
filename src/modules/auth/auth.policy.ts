/**
 * Who may do what, as a rulebook. A region-scoped action is further limited by the actor's
 * subtree (see `inScope`); the registry repository applies the same range to every query.
 */
import { notAllowed } from "../../core/errors.ts";
import type { Actor, Role } from "./auth.schema.ts";

export const ACTIONS = [
  "region.read",
  "household.read",
  "household.create",
  "household.update",
  "household.unmask",
  "user.manage",
  "audit.read",
  "signal.read",
  "monitoring.sweep",
  "income.close",
  "verification.assign",
  "verification.record",
  "policy.edit",
  "case.read",
  "case.open",
  "case.advance",
  "case.batch",
  "notice.manage",
  "objection.resolve",
  "assistance.read",
  "cadre.manage",
  "assistance.pair",
  "assistance.plan",
  "assistance.visit",
  "workteam.manage",
  "feed.load",
  "feed.read",
  "duplicate.review",
  "token.manage",
] as const;
export type Action = (typeof ACTIONS)[number];

const STAFF: readonly Role[] = ["admin", "county", "town", "village"];
const READERS: readonly Role[] = [...STAFF, "helper", "inspector", "viewer"];

const RULES: Record<Action, readonly Role[]> = {
  "region.read": [...READERS, "department"],
  "household.read": READERS,
  "household.create": STAFF,
  "household.update": STAFF,
  "household.unmask": [...STAFF, "inspector"],
  "user.manage": ["admin", "county", "town"],
  "audit.read": ["admin", "county", "inspector"],
  "signal.read": READERS,
  "monitoring.sweep": ["admin", "county"],
  // 年度收入结转 — recording every household's income as a year's is the county's once a year.
  "income.close": ["admin", "county"],
  "verification.assign": ["admin", "county", "town"],
  "verification.record": STAFF,
  "policy.edit": ["admin", "county"],
  "case.read": READERS,
  "case.open": STAFF,
  // Which step a role may complete is the workflow's (policy) business; this is the gate.
  "case.advance": STAFF,
  "case.batch": ["admin", "county"],
  "notice.manage": STAFF,
  "objection.resolve": STAFF,
  "assistance.read": READERS,
  "cadre.manage": ["admin", "county", "town"],
  "assistance.pair": ["admin", "county", "town"],
  // A helper plans and visits only the households paired with them (checked by the service).
  "assistance.plan": [...STAFF, "helper"],
  "assistance.visit": [...STAFF, "helper"],
  "workteam.manage": STAFF,
  // 部门数据专员 — a department's data officer (role `department`) loads its feed; county staff
  // may load on a department's behalf. Towns read the comparison for their villages.
  "feed.load": ["admin", "county", "department"],
  "feed.read": ["admin", "county", "town", "department", "inspector"],
  // 疑似重复人员 — merging removes a member from a household: the staff who review cases.
  "duplicate.review": ["admin", "county", "town"],
  // 接口令牌 — tokens for department machines are issued by the county's administrators.
  "token.manage": ["admin", "county"],
};

/** What a department machine's API token may do: upload feeds, nothing else. */
const TOKEN_ACTIONS: readonly Action[] = ["feed.load"];

export function can(actor: Actor, action: Action): boolean {
  if (actor.token && !TOKEN_ACTIONS.includes(action)) return false;
  return RULES[action].includes(actor.role);
}

/**
 * Whether the actor works with a feed type: a token names the feed types it may upload, a
 * department's data officer may be bound to some (users.feed_types); anyone else, any in force.
 */
export function feedAllowed(actor: Actor, feedType: string): boolean {
  if (actor.token && !actor.token.feedTypes.includes(feedType)) return false;
  return !actor.feedTypes || actor.feedTypes.includes(feedType);
}

/** The feed types the actor may work with (`feedAllowed`), or null for all of them. */
export function allowedFeedTypes(actor: Actor): readonly string[] | null {
  const token = actor.token?.feedTypes ?? null;
  if (!actor.feedTypes) return token;
  return token ? actor.feedTypes.filter((t) => token.includes(t)) : actor.feedTypes;
}

export function assertFeedAllowed(actor: Actor, feedType: string): void {
  if (actor.token && !actor.token.feedTypes.includes(feedType)) {
    throw notAllowed(
      `此 API 令牌只能上传以下部门数据：${actor.token.feedTypes.join("、")}，不能上传“${feedType}”`,
      { code: "token_feed_not_allowed", field: "type" },
    );
  }
  if (actor.feedTypes && !actor.feedTypes.includes(feedType)) {
    throw notAllowed(
      `您（${actor.displayName}）只负责以下部门数据：${actor.feedTypes.join("、")}，不能处理“${feedType}”`,
      { code: "feed_not_allowed", field: "type" },
    );
  }
}

export function allowedActions(actor: Actor): Action[] {
  return ACTIONS.filter((a) => can(actor, a));
}

export function assertCan(actor: Actor, action: Action): void {
  if (!can(actor, action)) {
    throw notAllowed(`当前用户（${actor.username}）无权执行此操作：${action}`, {
      code: "action_not_allowed",
    });
  }
}

/**
 * The half-open range [low, high) of region codes inside a subtree. Region codes nest by
 * prefix (36 ⊃ 3607 ⊃ 360726 ⊃ 360726100 ⊃ 360726100201), so a range comparison on the
 * code column is both exact and served by its index.
 */
export function scopeRange(regionCode: string): [string, string] {
  const last = regionCode.charCodeAt(regionCode.length - 1);
  return [regionCode, regionCode.slice(0, -1) + String.fromCharCode(last + 1)];
}

/** True when the code lies in the actor's subtree. */
export function inScope(actor: Actor, code: string): boolean {
  return actor.regionCode === null || code.startsWith(actor.regionCode);
}
