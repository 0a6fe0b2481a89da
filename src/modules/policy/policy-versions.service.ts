/**
 * Policy versions edited in the web: a county (or province) drafts a policy file that extends
 * the one in force, previews it, and publishes it. A published version is immutable; a change
 * is a new version. Published versions override shipped files of the same id.
 */
import type { Kysely } from "kysely";
import { conflict, invalid, notAllowed, notFound } from "../../core/errors.ts";
import type { DB } from "../../db/schema.ts";
import { audit } from "../audit/index.ts";
import { assertCan, inScope } from "../auth/auth.policy.ts";
import type { Actor } from "../auth/auth.schema.ts";
import { parsePolicy } from "./policy.loader.ts";
import type { PolicyFile } from "./policy.schema.ts";
import type { PolicyService } from "./policy.service.ts";

export interface PolicyVersionsDeps {
  db: Kysely<DB>;
  now: () => Date;
  policies: PolicyService;
  /** Where the published versions are kept for the policy service (its `extra`). */
  published: PublishedPolicies;
}

/** The published versions, newest per policy id, shared with the (synchronous) policy service. */
export interface PublishedPolicies {
  files: PolicyFile[];
}

export interface PolicyVersionView {
  id: number;
  policyId: string;
  regionCode: string | null;
  year: number;
  version: number;
  status: "draft" | "published";
  content: string;
  createdAt: string;
  createdBy: string;
  publishedAt: string | null;
  publishedBy: string | null;
}

export function createPolicyVersionsService({ db, now, policies, published }: PolicyVersionsDeps) {
  const view = (
    r: DB["policy_versions"] extends infer T ? { [K in keyof T]: unknown } : never,
  ): PolicyVersionView => ({
    id: Number(r.id),
    policyId: r.policy_id as string,
    regionCode: (r.region_code as string | null) ?? null,
    year: Number(r.year),
    version: Number(r.version),
    status: r.status as "draft" | "published",
    content: r.content as string,
    createdAt: r.created_at as string,
    createdBy: r.created_by as string,
    publishedAt: (r.published_at as string | null) ?? null,
    publishedBy: (r.published_by as string | null) ?? null,
  });

  /** Validates a draft's text and checks the actor may edit a policy of that region. */
  function validate(actor: Actor, yaml: string): PolicyFile {
    assertCan(actor, "policy.edit");
    const file = parsePolicy(yaml, "草稿");
    if (file.level === "national")
      throw notAllowed("国家政策只能随版本发布，不能在系统中修改", { code: "policy_national" });
    if (!file.region || !inScope(actor, file.region)) {
      throw notAllowed(`政策适用区划 ${file.region ?? ""} 不在您的管辖范围内`, {
        field: "region",
        code: "policy_out_of_scope",
      });
    }
    const checked = policies.check(yaml, file.id);
    if (!checked.ok) {
      const e = checked.errors[0]!;
      throw invalid(`规则 ${e.rule}（${e.part}）：${e.message}`, {
        code: "policy_rule_error",
        detail: { errors: checked.errors },
      });
    }
    return file;
  }

  const service = {
    /** Loads the published versions into memory (at start-up and after each publish). */
    async refresh(): Promise<void> {
      const rows = await db
        .selectFrom("policy_versions")
        .selectAll()
        .where("status", "=", "published")
        .orderBy("version")
        .execute();
      const newest = new Map<string, PolicyFile>();
      for (const r of rows)
        newest.set(r.policy_id, parsePolicy(r.content, `${r.policy_id} v${r.version}`));
      published.files = [...newest.values()];
      policies.invalidate();
    },

    async list(actor: Actor): Promise<PolicyVersionView[]> {
      assertCan(actor, "signal.read");
      const rows = await db
        .selectFrom("policy_versions")
        .selectAll()
        .orderBy("id", "desc")
        .limit(200)
        .execute();
      return rows
        .filter(
          (r) =>
            r.region_code === null ||
            inScope(actor, r.region_code) ||
            (actor.regionCode ?? "").startsWith(r.region_code),
        )
        .map(view);
    },

    /** Saves a new draft version of a policy file. */
    async saveDraft(actor: Actor, yaml: string): Promise<PolicyVersionView> {
      const file = validate(actor, yaml);
      const at = now().toISOString();
      const last = await db
        .selectFrom("policy_versions")
        .select((eb) => eb.fn.max("version").as("v"))
        .where("policy_id", "=", file.id)
        .executeTakeFirst();
      const version = Number(last?.v ?? 0) + 1;
      const row = await db
        .insertInto("policy_versions")
        .values({
          policy_id: file.id,
          region_code: file.region ?? null,
          year: file.year,
          version,
          status: "draft",
          content: yaml,
          created_at: at,
          created_by: actor.username,
          published_at: null,
          published_by: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(db, actor, at, "policy.draft", {
        targetType: "policy",
        targetId: `${file.id} v${version}`,
        regionCode: file.region,
      });
      return view(row);
    },

    /** Publishes a draft; it then applies from the next evaluation on and can no longer change. */
    async publish(actor: Actor, id: number): Promise<PolicyVersionView> {
      assertCan(actor, "policy.edit");
      const row = await db
        .selectFrom("policy_versions")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirst();
      if (!row || (row.region_code && !inScope(actor, row.region_code)))
        throw notFound(`政策版本 ${id} 不存在`, { code: "policy_version_not_found" });
      if (row.status === "published")
        throw conflict("该版本已发布，不能再次发布；如需修改请另存新版本", {
          code: "policy_version_published",
        });
      validate(actor, row.content);
      const at = now().toISOString();
      await db
        .updateTable("policy_versions")
        .set({ status: "published", published_at: at, published_by: actor.username })
        .where("id", "=", id)
        .where("status", "=", "draft")
        .execute();
      await audit(db, actor, at, "policy.publish", {
        targetType: "policy",
        targetId: `${row.policy_id} v${row.version}`,
        regionCode: row.region_code ?? undefined,
      });
      await service.refresh();
      return view({ ...row, status: "published", published_at: at, published_by: actor.username });
    },
  };
  return service;
}
export type PolicyVersionsService = ReturnType<typeof createPolicyVersionsService>;
