/** The household registry: households, members and their history. */
export { registerRegistryRoutes } from "./registry.routes.ts";
export type {
  CreateHouseholdInput,
  HouseholdDetail,
  HouseholdListItem,
} from "./registry.schema.ts";
export { householdValuesInput } from "./registry.schema.ts";
export {
  type ChangeMeta,
  createRegistryService,
  type MergeOutcome,
  type RegistryService,
} from "./registry.service.ts";
