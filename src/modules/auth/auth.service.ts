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
}

export function createAuthService({ db, now }: AuthDeps) {
  const repo = createAuthRepository(db);

  return {
    /** Checks the password and opens a session; the token goes into the session cookie. */
    async login(
      username: string,
      password: string,
    ): Promise<{ token: string; actor: Actor; expiresAt: string }> {
      const user = await repo.findUserByUsername(username.trim());
      // An unknown user costs the same hash as a known one, so timing tells nothing.
      const ok =
        (await verifyPassword(password, user?.password_hash ?? (await dummyHash()))) &&
        user !== undefined &&
        user.disabled === 0;
      if (!user || !ok) throw notAllowed("用户名或密码错误", { code: "bad_credentials" });
      const token = randomBytes(32).toString("base64url");
      const at = now();
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
    ): Promise<{ id: number; username: string; role: Role; regionCode: string | null }> {
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
      });
      await audit(db, by, at, "user.create", {
        targetType: "user",
        targetId: String(id),
        regionCode: region ?? undefined,
        detail: { username: u.username, role: u.role },
      });
      return { id, username: u.username, role: u.role, regionCode: region };
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
}): Actor {
  const role = (ROLES as readonly string[]).includes(u.role) ? (u.role as Role) : "viewer";
  return {
    id: Number(u.id),
    username: u.username,
    displayName: u.display_name ?? u.username,
    role,
    regionCode: u.region_code,
  };
}
