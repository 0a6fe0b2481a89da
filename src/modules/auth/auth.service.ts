/** Sign-in, sessions and users. */
import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { conflict, invalid, notAllowed } from "../../core/errors.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { allowedActions, assertCan } from "./auth.policy.ts";
import { createAuthRepository } from "./auth.repository.ts";
import {
  type Actor,
  ROLES,
  type Role,
  type UserInput,
  type UserView,
  userInput,
} from "./auth.schema.ts";
import { hashPassword, verifyPassword } from "./password.ts";

const SESSION_DAYS = 7;

/**
 * Per account, on top of the per-address limit of server/rate-limit.ts (which a guesser with
 * many addresses gets round): after this many failed logins in a row within the window, the
 * account refuses every login, the right password too, until the lock ends.
 */
export const ACCOUNT_LOCK = { failures: 10, windowMinutes: 15, lockMinutes: 15 } as const;
let dummy: Promise<string> | undefined;
const dummyHash = (): Promise<string> => {
  dummy ??= hashPassword("fangpin-dummy");
  return dummy;
};
/** SHA-256 of a secret (session or API token), base64url: what the database keeps. */
export const hashToken = (token: string) => createHash("sha256").update(token).digest("base64url");

export interface AuthDeps {
  db: Kysely<DB>;
  now: () => Date;
  /** The feed types in force in a region, to check a department user's (left out: not checked). */
  feedTypesOf?: (region: string) => Record<string, unknown>;
  accountLock?: { failures: number; windowMinutes: number; lockMinutes: number };
}

export function createAuthService({ db, now, accountLock = ACCOUNT_LOCK, feedTypesOf }: AuthDeps) {
  const repo = createAuthRepository(db);
  /** Failed logins by username (one server process serves a county; kept in memory). */
  const failures = new Map<string, { count: number; since: number; lockedUntil: number }>();

  /** Counts a failed login of an existing account; locks it (audited) at the limit. */
  async function countFailure(name: string, userId: number, at: Date): Promise<void> {
    const t = at.getTime();
    let f = failures.get(name);
    if (!f || t - f.since > accountLock.windowMinutes * 60_000)
      f = { count: 0, since: t, lockedUntil: 0 };
    f.count++;
    failures.set(name, f);
    if (f.count < accountLock.failures) return;
    f.lockedUntil = t + accountLock.lockMinutes * 60_000;
    f.count = 0;
    f.since = t;
    await audit(
      db,
      { id: null, username: "system", displayName: "系统", role: "admin", regionCode: null },
      at.toISOString(),
      "auth.locked",
      {
        targetType: "user",
        targetId: String(userId),
        detail: { minutes: accountLock.lockMinutes },
      },
    );
  }

  return {
    /** Checks the password and opens a session; the token goes into the session cookie. */
    async login(
      username: string,
      password: string,
    ): Promise<{ token: string; actor: Actor; expiresAt: string }> {
      const name = username.trim();
      const at = now();
      const held = failures.get(name);
      if (held && held.lockedUntil > at.getTime()) {
        const minutes = Math.ceil((held.lockedUntil - at.getTime()) / 60_000);
        throw notAllowed(
          `该账号连续登录失败次数过多，已暂时锁定，请 ${minutes} 分钟后再试，或请管理员重置密码`,
          { code: "account_locked" },
        );
      }
      const user = await repo.findUserByUsername(name);
      // An unknown user costs the same hash as a known one, so timing tells nothing.
      const ok =
        (await verifyPassword(password, user?.password_hash ?? (await dummyHash()))) &&
        user !== undefined &&
        user.disabled === 0;
      if (!user || !ok) {
        if (user) await countFailure(name, user.id, at);
        throw notAllowed("用户名或密码错误", { code: "bad_credentials" });
      }
      failures.delete(name);
      const token = randomBytes(32).toString("base64url");
      const expiresAt = new Date(at.getTime() + SESSION_DAYS * 86_400_000).toISOString();
      await repo.insertSession({
        token_hash: hashToken(token),
        user_id: user.id,
        created_at: at.toISOString(),
        expires_at: expiresAt,
      });
      const actor = toActor(user);
      await audit(db, actor, at.toISOString(), "auth.login", {
        targetType: "user",
        targetId: String(user.id),
      });
      return { token, actor, expiresAt };
    },

    /** The actor behind a session token, or null when the session is unknown or expired. */
    async authenticate(token: string | undefined): Promise<Actor | null> {
      if (!token) return null;
      const user = await repo.findSessionUser(hashToken(token), now().toISOString());
      if (user?.disabled !== 0) return null;
      return toActor(user);
    },

    async logout(token: string | undefined): Promise<void> {
      if (token) await repo.deleteSession(hashToken(token));
    },

    /** Creates a user; usernames are unique. */
    async addUser(
      input: UserInput,
      by: Actor,
    ): Promise<{
      id: number;
      username: string;
      role: Role;
      regionCode: string | null;
      feedTypes?: string[];
    }> {
      assertCan(by, "user.manage");
      const parsed = userInput.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw invalid(issue.message, { field: issue.path.join("."), code: "user_invalid" });
      }
      const u = parsed.data;
      const region = u.region ?? null;
      if (region === null && u.role !== "admin") {
        throw invalid("除系统管理员外，用户必须指定所辖区划", {
          field: "region",
          code: "user_region_required",
        });
      }
      if (region !== null && !(await repo.regionName(region))) {
        throw invalid(`区划代码 ${region} 不存在，请先加载区划`, {
          field: "region",
          code: "region_not_found",
        });
      }
      if (by.regionCode !== null && (region === null || !region.startsWith(by.regionCode))) {
        throw notAllowed("只能在本人所辖区划内创建用户", { code: "user_out_of_scope" });
      }
      const feedTypes = u.feedTypes ? [...new Set(u.feedTypes)] : null;
      if (feedTypes && u.role !== "department")
        throw invalid("只有部门数据专员（department）可以指定负责的部门数据类型", {
          field: "feedTypes",
          code: "user_feed_types_role",
        });
      if (feedTypes && region && feedTypesOf) {
        const feeds = feedTypesOf(region);
        for (const [i, type] of feedTypes.entries())
          if (!feeds[type])
            throw invalid(
              `没有名为“${type}”的部门数据类型；可用的有：${Object.keys(feeds).join("、")}`,
              { field: `feedTypes.${i}`, code: "feed_type_unknown" },
            );
      }
      if (await repo.findUserByUsername(u.username)) {
        throw conflict(`用户名 ${u.username} 已存在`, {
          field: "username",
          code: "username_taken",
        });
      }
      const at = now().toISOString();
      const id = await repo.insertUser({
        username: u.username,
        password_hash: await hashPassword(u.password),
        role: u.role,
        region_code: region,
        display_name: u.displayName ?? null,
        created_at: at,
        feed_types: feedTypes ? JSON.stringify(feedTypes) : null,
      });
      await audit(db, by, at, "user.create", {
        targetType: "user",
        targetId: String(id),
        regionCode: region ?? undefined,
        detail: { username: u.username, role: u.role, ...(feedTypes ? { feedTypes } : {}) },
      });
      return {
        id,
        username: u.username,
        role: u.role,
        regionCode: region,
        ...(feedTypes ? { feedTypes } : {}),
      };
    },

    countUsers: () => repo.countUsers(),

    /** The actor of an enabled user, for commands run on someone's behalf (`--as`). */
    async actorFor(username: string): Promise<Actor | null> {
      const user = await repo.findUserByUsername(username.trim());
      return user && user.disabled === 0 ? toActor(user) : null;
    },

    /** Whether the user exists, is enabled and has this password (no session, no audit). */
    async hasPassword(username: string, password: string): Promise<boolean> {
      const user = await repo.findUserByUsername(username);
      return (
        user !== undefined &&
        user.disabled === 0 &&
        (await verifyPassword(password, user.password_hash))
      );
    },

    /** What the web client needs to know about the signed-in user. */
    async view(actor: Actor): Promise<UserView> {
      const region = actor.regionCode ? await repo.regionName(actor.regionCode) : undefined;
      return {
        id: actor.id ?? 0,
        username: actor.username,
        displayName: actor.displayName,
        role: actor.role,
        regionCode: actor.regionCode,
        regionName: region?.name ?? null,
        can: allowedActions(actor),
      };
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;

function toActor(u: {
  id: number;
  username: string;
  display_name: string | null;
  role: string;
  region_code: string | null;
  feed_types: string | null;
}): Actor {
  const role = (ROLES as readonly string[]).includes(u.role) ? (u.role as Role) : "viewer";
  const actor: Actor = {
    id: Number(u.id),
    username: u.username,
    displayName: u.display_name ?? u.username,
    role,
    regionCode: u.region_code,
  };
  const feedTypes = feedTypesFrom(u.feed_types);
  return feedTypes ? { ...actor, feedTypes } : actor;
}

/** A user's feed types as stored (JSON array); a damaged value binds them to none. */
function feedTypesFrom(stored: string | null): string[] | null {
  if (stored === null) return null;
  try {
    const v: unknown = JSON.parse(stored);
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}
