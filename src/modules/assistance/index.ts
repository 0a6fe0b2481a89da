/** Assistance (帮扶): cadres, pairings under quotas, plans and measures, visits, work teams, coverage, the card. */

export { registerAssistanceRoutes } from "./assistance.routes.ts";
export {
  CADRE_STATUSES,
  type CadreView,
  type CoverageView,
  MEASURE_STATUS_LABELS,
  MEASURE_STATUSES,
  type MeasureView,
  type PlanView,
} from "./assistance.schema.ts";
export { type AssistanceService, createAssistanceService } from "./assistance.service.ts";
