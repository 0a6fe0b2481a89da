/** Policy files: lines, deadlines, catalogues, quotas and monitoring rules, by region and year. */
export {
  type CompiledRule,
  compileGuard,
  compilePolicy,
  type RuleError,
  ruleSql,
} from "./policy.compile.ts";
export {
  loadPolicyFiles,
  POLICY_DIR,
  parsePolicy,
  pickPolicy,
  resolvePolicy,
} from "./policy.loader.ts";
export {
  type AssistancePolicy,
  CATEGORIES,
  type EffectivePolicy,
  FEED_COLUMN_KINDS,
  type FeedColumn,
  type FeedColumnKind,
  type FeedDef,
  type PolicyFile,
  type Rule,
  SEVERITIES,
} from "./policy.schema.ts";
export { type CompiledPolicy, createPolicyService, type PolicyService } from "./policy.service.ts";
export { registerPolicyVersionRoutes } from "./policy-versions.routes.ts";
export {
  createPolicyVersionsService,
  type PolicyVersionsService,
  type PublishedPolicies,
} from "./policy-versions.service.ts";
