/** The audit log: who did what to which record, and every unmasked read of sensitive data. */
import type { Kysely } from "kysely";
import type { DB } from "../../db/schema.ts";
import type { Actor } from "../auth/auth.schema.ts";
import { type AuditEntry, createAuditRepository } from "./audit.repository.ts";

export type { AuditEntry } from "./audit.repository.ts";
export { createAuditRepository } from "./audit.repository.ts";

/** Records one action by an actor, inside the caller's transaction when one is given. */
export async function audit(
  db: Kysely<DB>,
  actor: Actor,
  at: string,
  action: string,
  target: Omit<AuditEntry, "at" | "actorId" | "actorName" | "action"> = {},
): Promise<void> {
  await createAuditRepository(db).insert([
    { at, actorId: actor.id, actorName: actor.username, action, ...target },
  ]);
}
