/** 疑似重复人员 — likely duplicate members, reviewed by a person: merge or dismiss. */
export { registerDuplicatesRoutes } from "./duplicates.routes.ts";
export {
  createDuplicatesService,
  type DuplicateMember,
  type DuplicatePair,
  type DuplicatesService,
} from "./duplicates.service.ts";
