/** Cases: identification, risk elimination and other registry procedures; notices and objections. */
export { registerCasesRoutes, registerNoticeRoutes } from "./cases.routes.ts";
export {
  type CaseDetail,
  type CaseListItem,
  DEREGISTRATION_REASONS,
  LEAD_SOURCES,
  type NoticeBatchView,
  type OpenCaseInput,
} from "./cases.schema.ts";
export { type CasesService, createCasesService } from "./cases.service.ts";
export {
  ATTACHMENT_TYPES,
  checkAttachment,
  type FileStore,
  localFileStore,
  MAX_ATTACHMENT_BYTES,
} from "./file-store.ts";
