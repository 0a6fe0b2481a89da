/** Users, roles, sessions and the authorisation rulebook. */
export {
  type Action,
  allowedActions,
  allowedFeedTypes,
  assertCan,
  assertFeedAllowed,
  can,
  feedAllowed,
  inScope,
  scopeRange,
} from "./auth.policy.ts";
export { registerAuthRoutes } from "./auth.routes.ts";
export {
  type Actor,
  ROLE_LABELS,
  ROLES,
  type Role,
  SYSTEM_ACTOR,
  type UserInput,
} from "./auth.schema.ts";
export { type AuthService, createAuthService } from "./auth.service.ts";
export type { TokenInput, TokenView } from "./tokens.schema.ts";
export {
  createTokensService,
  TOKEN_PREFIX,
  type TokenFailure,
  type TokensService,
} from "./tokens.service.ts";
