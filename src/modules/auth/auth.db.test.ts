import { beforeAll, expect, it } from "vitest";
import { describeEachEngine } from "../../../test/engines.ts";
import { AppError } from "../../core/errors.ts";
import { createRegionsService } from "../regions/regions.service.ts";
import { type Actor, SYSTEM_ACTOR, type UserInput } from "./auth.schema.ts";
import { ACCOUNT_LOCK, type AuthService, createAuthService } from "./auth.service.ts";

const COUNTY = "360726";
const TOWN = "360726100";
const OTHER_TOWN = "360726101";
const PASSWORD = "correct horse 安远";
const DAY = 86_400_000;

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error("expected the promise to reject with an AppError");
}

describeEachEngine("auth service", (database) => {
  /** The service's clock; tests move it forward. */
  let clock = new Date("2025-06-15T02:00:00.000Z");
  let auth: AuthService;
  let countyActor: Actor;

  const user = (overrides: Partial<UserInput> = {}): UserInput => ({
    username: "user",
    password: PASSWORD,
    role: "town",
    region: TOWN,
    ...overrides,
  });

  beforeAll(async () => {
    const db = database().db;
    await createRegionsService({ db, now: () => clock }).load(SYSTEM_ACTOR, COUNTY);
    auth = createAuthService({ db, now: () => clock });
    const county = await auth.addUser(
      user({
        username: "county-admin",
        role: "county",
        region: COUNTY,
        displayName: "县乡村振兴局",
      }),
      SYSTEM_ACTOR,
    );
    countyActor = {
      id: county.id,
      username: "county-admin",
      displayName: "县乡村振兴局",
      role: "county",
      regionCode: COUNTY,
    };
  });

  it("adds a user, logs in and authenticates the session", async () => {
    const created = await auth.addUser(
      user({ username: "xinshan", displayName: "欣山镇干部" }),
      countyActor,
    );
    expect(created).toEqual({
      id: expect.any(Number),
      username: "xinshan",
      role: "town",
      regionCode: TOWN,
    });

    const { token, actor, expiresAt } = await auth.login("xinshan", PASSWORD);
    const expected: Actor = {
      id: created.id,
      username: "xinshan",
      displayName: "欣山镇干部",
      role: "town",
      regionCode: TOWN,
    };
    expect(actor).toEqual(expected);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt).toBe(new Date(clock.getTime() + 7 * DAY).toISOString());
    expect(await auth.authenticate(token)).toEqual(expected);

    const view = await auth.view(actor);
    expect(view).toMatchObject({
      id: created.id,
      regionCode: TOWN,
      regionName: "欣山镇",
      role: "town",
    });
    expect(view.can).toContain("household.update");
    expect(view.can).toContain("user.manage");
    expect(view.can).not.toContain("audit.read");
  });

  it("stores a password hash, never the password", async () => {
    const row = await database()
      .db.selectFrom("users")
      .select(["password_hash", "display_name"])
      .where("username", "=", "xinshan")
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
    const session = await database()
      .db.selectFrom("sessions")
      .select("token_hash")
      .executeTakeFirstOrThrow();
    expect(session.token_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("trims the username at login and gives each login its own token", async () => {
    const a = await auth.login("  xinshan ", PASSWORD);
    const b = await auth.login("xinshan", PASSWORD);
    expect(a.token).not.toBe(b.token);
    expect((await auth.authenticate(a.token))?.username).toBe("xinshan");
    expect((await auth.authenticate(b.token))?.username).toBe("xinshan");
  });

  it("refuses a wrong password and an unknown user alike", async () => {
    for (const [name, password] of [
      ["xinshan", "wrong password"],
      ["xinshan", PASSWORD.toUpperCase()],
      ["xinshan", ""],
      ["nobody", PASSWORD],
    ] as const) {
      const e = await rejection(auth.login(name, password));
      expect(e.kind).toBe("not_allowed");
      expect(e.code).toBe("bad_credentials");
      expect(e.message).toBe("用户名或密码错误");
    }
  });

  it("refuses a username that is taken", async () => {
    const e = await rejection(
      auth.addUser(user({ username: "xinshan", region: OTHER_TOWN }), countyActor),
    );
    expect(e.kind).toBe("conflict");
    expect(e.code).toBe("username_taken");
    expect(e.field).toBe("username");
  });

  it("requires a region for everyone but admin", async () => {
    for (const region of [null, undefined]) {
      const e = await rejection(
        auth.addUser(user({ username: "noregion", role: "village", region }), SYSTEM_ACTOR),
      );
      expect(e.kind).toBe("invalid_data");
      expect(e.code).toBe("user_region_required");
      expect(e.field).toBe("region");
    }
    const admin = await auth.addUser(
      user({ username: "root", role: "admin", region: null }),
      SYSTEM_ACTOR,
    );
    expect(admin.regionCode).toBeNull();
  });

  it("refuses a region that is not loaded and invalid input, naming the field", async () => {
    const missing = await rejection(
      auth.addUser(user({ username: "lost", region: "360781" }), SYSTEM_ACTOR),
    );
    expect(missing).toMatchObject({
      kind: "invalid_data",
      code: "region_not_found",
      field: "region",
    });

    const short = await rejection(
      auth.addUser(user({ username: "shortpw", password: "1234567" }), SYSTEM_ACTOR),
    );
    expect(short).toMatchObject({ kind: "invalid_data", code: "user_invalid", field: "password" });
    const badName = await rejection(auth.addUser(user({ username: "a b" }), SYSTEM_ACTOR));
    expect(badName).toMatchObject({
      kind: "invalid_data",
      code: "user_invalid",
      field: "username",
    });
    const badRole = await rejection(
      auth.addUser(user({ username: "badrole", role: "boss" as UserInput["role"] }), SYSTEM_ACTOR),
    );
    expect(badRole).toMatchObject({ kind: "invalid_data", code: "user_invalid", field: "role" });
  });

  it("refuses to create a user outside the creator's subtree", async () => {
    // 赣州市 exists (loaded as an ancestor) but lies above the county user's region.
    for (const region of ["3607", "36"]) {
      const e = await rejection(
        auth.addUser(user({ username: `up-${region}`, role: "county", region }), countyActor),
      );
      expect(e.kind).toBe("not_allowed");
      expect(e.code).toBe("user_out_of_scope");
    }
    const townActor: Actor = {
      id: 999,
      username: "t",
      displayName: "t",
      role: "town",
      regionCode: TOWN,
    };
    const sideways = await rejection(
      auth.addUser(user({ username: "sideways", region: OTHER_TOWN }), townActor),
    );
    expect(sideways).toMatchObject({ kind: "not_allowed", code: "user_out_of_scope" });
    // A nationwide admin cannot be created from inside a county.
    const admin = await rejection(
      auth.addUser(user({ username: "sneaky", role: "admin", region: null }), countyActor),
    );
    expect(admin).toMatchObject({ kind: "not_allowed", code: "user_out_of_scope" });

    const count = await database().db.selectFrom("users").select("username").execute();
    expect(count.map((u) => u.username)).not.toContain("sideways");
    expect(count.map((u) => u.username)).not.toContain("sneaky");
  });

  it("lets a county user create users anywhere in the county", async () => {
    const village = (
      await createRegionsService({ db: database().db, now: () => clock }).villagesUnder(OTHER_TOWN)
    )[0]!;
    const created = await auth.addUser(
      user({ username: "kongtian-v1", role: "village", region: village.code }),
      countyActor,
    );
    expect(created.regionCode).toBe(village.code);
  });

  it("ends a session after seven days", async () => {
    const start = clock;
    try {
      const { token } = await auth.login("xinshan", PASSWORD);
      clock = new Date(start.getTime() + 7 * DAY - 1);
      expect((await auth.authenticate(token))?.username).toBe("xinshan");
      clock = new Date(start.getTime() + 7 * DAY);
      expect(await auth.authenticate(token)).toBeNull();
      clock = new Date(start.getTime() + 30 * DAY);
      expect(await auth.authenticate(token)).toBeNull();
    } finally {
      clock = start;
    }
  });

  it("ends a session at logout, leaving other sessions alone", async () => {
    const a = await auth.login("xinshan", PASSWORD);
    const b = await auth.login("xinshan", PASSWORD);
    await auth.logout(a.token);
    expect(await auth.authenticate(a.token)).toBeNull();
    expect((await auth.authenticate(b.token))?.username).toBe("xinshan");
    await auth.logout(undefined);
    await auth.logout("no-such-token");
    expect((await auth.authenticate(b.token))?.username).toBe("xinshan");
  });

  it("knows nothing of a missing or made-up token", async () => {
    expect(await auth.authenticate(undefined)).toBeNull();
    expect(await auth.authenticate("")).toBeNull();
    expect(await auth.authenticate("x".repeat(43))).toBeNull();
  });

  it("shuts out a disabled user, including open sessions", async () => {
    await auth.addUser(user({ username: "leaving" }), countyActor);
    const { token } = await auth.login("leaving", PASSWORD);
    await database()
      .db.updateTable("users")
      .set({ disabled: 1 })
      .where("username", "=", "leaving")
      .execute();
    expect(await auth.authenticate(token)).toBeNull();
    const e = await rejection(auth.login("leaving", PASSWORD));
    expect(e.code).toBe("bad_credentials");
  });

  it("writes audit rows for user.create and auth.login", async () => {
    const db = database().db;
    const clockAt = clock.toISOString();
    const created = await auth.addUser(
      user({ username: "audited", displayName: "审计" }),
      countyActor,
    );
    await auth.login("audited", PASSWORD);

    const create = await db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "user.create")
      .where("target_id", "=", String(created.id))
      .execute();
    expect(create).toHaveLength(1);
    expect(create[0]).toMatchObject({
      at: clockAt,
      actor_id: countyActor.id,
      actor_name: "county-admin",
      target_type: "user",
      region_code: TOWN,
    });
    expect(JSON.parse(create[0]!.detail!)).toEqual({ username: "audited", role: "town" });

    const login = await db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "auth.login")
      .where("target_id", "=", String(created.id))
      .execute();
    expect(login).toHaveLength(1);
    expect(login[0]).toMatchObject({
      at: clockAt,
      actor_id: created.id,
      actor_name: "audited",
      target_type: "user",
    });

    // The first user was created by the system actor.
    const first = await db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "user.create")
      .where("target_id", "=", String(countyActor.id))
      .executeTakeFirstOrThrow();
    expect(first).toMatchObject({ actor_id: null, actor_name: "system", region_code: COUNTY });
  });

  it("writes no audit row for a failed login or a refused user", async () => {
    const db = database().db;
    const count = async () => (await db.selectFrom("audit_log").select("id").execute()).length;
    const before = await count();
    await rejection(auth.login("xinshan", "wrong password"));
    await rejection(auth.addUser(user({ username: "xinshan" }), countyActor));
    expect(await count()).toBe(before);
  });

  it("locks an account after ten failed logins in a row, the right password too, for fifteen minutes", async () => {
    await auth.addUser(user({ username: "locked" }), countyActor);
    for (let i = 0; i < ACCOUNT_LOCK.failures - 1; i++)
      expect((await rejection(auth.login("locked", "guess"))).code).toBe("bad_credentials");
    // A success before the limit starts the count again.
    await auth.login("locked", PASSWORD);
    for (let i = 0; i < ACCOUNT_LOCK.failures; i++)
      expect((await rejection(auth.login("locked", "guess"))).code).toBe("bad_credentials");
    const locked = await rejection(auth.login(" locked", PASSWORD));
    expect(locked.code).toBe("account_locked");
    expect(locked.message).toContain("15 分钟");
    // Other accounts are not held up.
    await auth.login("county-admin", PASSWORD);
    const locks = await database()
      .db.selectFrom("audit_log")
      .select(["action", "target_id"])
      .where("action", "=", "auth.locked")
      .execute();
    expect(locks).toHaveLength(1);

    clock = new Date(clock.getTime() + ACCOUNT_LOCK.lockMinutes * 60_000 + 1);
    await auth.login("locked", PASSWORD);
  });

  it("counts users", async () => {
    const rows = await database().db.selectFrom("users").select("id").execute();
    expect(await auth.countUsers()).toBe(rows.length);
    expect(rows.length).toBeGreaterThanOrEqual(5);
  });
});
