/** Monitoring: rules swept over the registry into signals and verification tasks. */
export {
  createIncomeService,
  type IncomeRunResult,
  type IncomeService,
} from "./income.service.ts";
export { registerMonitoringRoutes } from "./monitoring.routes.ts";
export { OUTCOME_LABELS } from "./monitoring.schema.ts";
export {
  createMonitoringService,
  type MonitoringService,
  renderMessage,
  type SweepResult,
} from "./monitoring.service.ts";
export { registerPreviewRoutes } from "./preview.routes.ts";
export { createSignalsService, type SignalsService } from "./signals.service.ts";
