/**
 * API tokens (接口令牌) for department machines. An administrator issues a token for a
 * department, the feed types it may upload and the region its uploads are matched in, with an
 * expiry; the whole token is shown once, the database keeps its SHA-256 and its first
 * characters. A request bearing a token acts as a department user of that region who may only
 * upload those feeds (see `can` and `assertFeedAllowed`); every use, refusal and failure is
 * audited.
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { chinaDate, endOfChinaDay } from "../../core/dates.ts";
import { invalid, notAllowed, notFound } from "../../core/errors.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { assertCan, inScope, scopeRange } from "./auth.policy.ts";
import type { Actor } from "./auth.schema.ts";
import { hashToken } from "./auth.service.ts";
import { createTokensRepository, type TokenRow } from "./tokens.repository.ts";
import { type TokenInput, type TokenView, tokenInput } from "./tokens.schema.ts";

/** Every token starts so, which tells it from a session and lets scanners find leaked ones. */
export const TOKEN_PREFIX = "fpt_";
/** Characters kept and shown to recognise a token: the prefix and 8 of the secret. */
const SHOWN = TOKEN_PREFIX.length + 8;
const DEFAULT_DAYS = 365;
const MAX_DAYS = 2 * 365;

/** Who failed to authenticate, for the audit log: nobody known. */
const ANONYMOUS: Actor = {
  id: null,
  username: "anonymous",
  displayName: "未识别",
  role: "viewer",
  regionCode: null,
};

export type TokenFailure = "token_invalid" | "token_expired" | "token_revoked";

const FAILURE_MESSAGES: Record<TokenFailure, string> = {
  token_invalid: "API 令牌无效",
  token_expired: "API 令牌已过期，请联系县级管理员重新签发",
  token_revoked: "API 令牌已吊销，请联系县级管理员",
};

export interface TokensDeps {
  db: Kysely<DB>;
  now: () => Date;
  /** The feed types in force in a region (from its policy), with their departments. */
  feedTypesOf: (region: string) => Record<string, { name: string; department: string }>;
}

const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

function statusOf(row: TokenRow, at: string): TokenView["status"] {
  if (row.revoked_at !== null) return "revoked";
  return row.expires_at <= at ? "expired" : "active";
}

function present(row: TokenRow, at: string): TokenView {
  return {
    id: Number(row.id),
    name: row.name,
    department: row.department,
    feedTypes: JSON.parse(row.feed_types) as string[],
    regionCode: row.region_code,
    regionName: row.region_name,
    prefix: row.prefix,
    createdBy: row.created_by_name,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    lastUsedIp: row.last_used_ip,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by_name,
    status: statusOf(row, at),
  };
}

/** The actor a token acts as: a department user of its region, limited to its feed types. */
function tokenActor(row: TokenRow): Actor {
  return {
    id: null,
    username: `token:${row.prefix}`,
    displayName: `${row.name}（API 令牌）`,
    role: "department",
    regionCode: row.region_code,
    token: { id: Number(row.id), feedTypes: JSON.parse(row.feed_types) as string[] },
  };
}

export function createTokensService({ db, now, feedTypesOf }: TokensDeps) {
  const repo = createTokensRepository(db);

  /** A token the actor manages (its region in the actor's subtree), else not found. */
  async function managed(actor: Actor, id: number): Promise<TokenRow> {
    assertCan(actor, "token.manage");
    const row = await repo.byId(id);
    if (!row || !inScope(actor, row.region_code))
      throw notFound(`接口令牌 ${id} 不存在`, { code: "token_not_found" });
    return row;
  }

  return {
    /** Issues a token; the answer holds the whole token, which is never shown again. */
    async create(actor: Actor, input: TokenInput): Promise<TokenView & { token: string }> {
      assertCan(actor, "token.manage");
      const parsed = tokenInput.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw invalid(issue.message, { field: issue.path.join("."), code: "token_invalid_input" });
      }
      const t = parsed.data;
      const region = t.region ?? actor.regionCode;
      if (!region)
        throw invalid("请指定令牌的数据范围（区划代码）", {
          field: "region",
          code: "token_region_required",
        });
      if (!inScope(actor, region))
        throw notAllowed("只能为本人所辖区划签发接口令牌", { code: "token_out_of_scope" });
      if (!(await repo.regionName(region)))
        throw invalid(`区划代码 ${region} 不存在，请先加载区划`, {
          field: "region",
          code: "region_not_found",
        });
      const feeds = feedTypesOf(region);
      const feedTypes = [...new Set(t.feedTypes)];
      for (const [i, type] of feedTypes.entries())
        if (!feeds[type])
          throw invalid(
            `没有名为“${type}”的部门数据类型；可用的有：${Object.keys(feeds).join("、")}`,
            { field: `feedTypes.${i}`, code: "feed_type_unknown" },
          );
      const at = now();
      const today = chinaDate(at);
      const expiresOn = t.expiresOn ?? addDays(today, DEFAULT_DAYS);
      if (expiresOn < today)
        throw invalid("有效期不能早于今天", { field: "expiresOn", code: "token_expiry_past" });
      if (expiresOn > addDays(today, MAX_DAYS))
        throw invalid(`有效期最长 ${MAX_DAYS / 365} 年`, {
          field: "expiresOn",
          code: "token_expiry_too_long",
        });
      const department =
        t.department || [...new Set(feedTypes.map((type) => feeds[type]!.department))].join("、");
      const token = TOKEN_PREFIX + randomBytes(24).toString("base64url");
      const row = {
        name: t.name,
        department,
        feed_types: JSON.stringify(feedTypes),
        region_code: region,
        prefix: token.slice(0, SHOWN),
        token_hash: hashToken(token),
        created_by: actor.id,
        created_by_name: actor.username,
        created_at: at.toISOString(),
        expires_at: endOfChinaDay(expiresOn),
        last_used_at: null,
        last_used_ip: null,
        revoked_at: null,
        revoked_by_name: null,
      };
      const id = await db.transaction().execute(async (trx) => {
        const id = await createTokensRepository(trx).insert(row);
        await audit(trx, actor, row.created_at, "token.create", {
          targetType: "api_token",
          targetId: String(id),
          regionCode: region,
          detail: {
            name: row.name,
            department,
            feedTypes,
            prefix: row.prefix,
            expiresAt: row.expires_at,
          },
        });
        return id;
      });
      return { ...present((await repo.byId(id))!, row.created_at), token };
    },

    /** The tokens of the actor's region, newest first (never the secrets). */
    async list(actor: Actor): Promise<TokenView[]> {
      assertCan(actor, "token.manage");
      const at = now().toISOString();
      const rows = await repo.list(actor.regionCode ? scopeRange(actor.regionCode) : null);
      return rows.map((r) => present(r, at));
    },

    /** Revokes a token at once; its next request is refused. */
    async revoke(actor: Actor, id: number): Promise<TokenView> {
      const row = await managed(actor, id);
      const at = now().toISOString();
      await db.transaction().execute(async (trx) => {
        const revoked = await createTokensRepository(trx).revoke(row.id, at, actor.username);
        if (revoked)
          await audit(trx, actor, at, "token.revoke", {
            targetType: "api_token",
            targetId: String(row.id),
            regionCode: row.region_code,
            detail: { name: row.name, prefix: row.prefix },
          });
      });
      return present((await repo.byId(row.id))!, at);
    },

    /** A token by id or by its shown prefix (for the command line), in the actor's region. */
    async find(actor: Actor, ref: string): Promise<TokenView> {
      assertCan(actor, "token.manage");
      const at = now().toISOString();
      if (/^\d+$/.test(ref)) return present(await managed(actor, Number(ref)), at);
      const rows = (await repo.list(actor.regionCode ? scopeRange(actor.regionCode) : null)).filter(
        (r) => r.prefix === ref || (ref.length >= 6 && r.prefix.startsWith(ref)),
      );
      if (rows.length !== 1)
        throw notFound(
          rows.length === 0 ? `接口令牌 ${ref} 不存在` : `有多个接口令牌以 ${ref} 开头，请给出编号`,
          { code: "token_not_found" },
        );
      return present(rows[0]!, at);
    },

    /**
     * The actor of a token, or why it was refused. A refusal is audited (with the first
     * characters of what was sent); a success marks the token used.
     */
    async authenticate(
      secret: string,
      ip: string,
    ): Promise<{ actor: Actor } | { failure: TokenFailure; message: string }> {
      const at = now().toISOString();
      const row = secret.startsWith(TOKEN_PREFIX)
        ? await repo.byHash(hashToken(secret))
        : undefined;
      const failure: TokenFailure | null = !row
        ? "token_invalid"
        : row.revoked_at !== null
          ? "token_revoked"
          : row.expires_at <= at
            ? "token_expired"
            : null;
      if (failure || !row) {
        const reason = failure ?? "token_invalid";
        await audit(db, row ? tokenActor(row) : ANONYMOUS, at, "token.auth_failed", {
          targetType: "api_token",
          ...(row ? { targetId: String(row.id), regionCode: row.region_code } : {}),
          detail: { reason, prefix: secret.slice(0, SHOWN).replace(/[^\w-]/g, "?"), ip },
        });
        return { failure: reason, message: FAILURE_MESSAGES[reason] };
      }
      await repo.touch(row.id, at, ip);
      return { actor: tokenActor(row) };
    },

    /** Records what a token was used for, allowed or refused. */
    async recordUse(
      actor: Actor,
      use: { method: string; route: string; feedType?: string; allowed: boolean; ip: string },
    ): Promise<void> {
      if (!actor.token) return;
      await audit(db, actor, now().toISOString(), use.allowed ? "token.use" : "token.denied", {
        targetType: "api_token",
        targetId: String(actor.token.id),
        ...(actor.regionCode ? { regionCode: actor.regionCode } : {}),
        detail: {
          route: `${use.method} ${use.route}`,
          ...(use.feedType ? { feedType: use.feedType } : {}),
          ip: use.ip,
        },
      });
    },
  };
}
export type TokensService = ReturnType<typeof createTokensService>;
