/** Imports and exports in the national monitoring system's format (全国防返贫监测系统). */

export { excel } from "./excel.ts";
export { registerExchangeRoutes } from "./exchange.routes.ts";
export {
  type Atomicity,
  type Counts,
  createExchangeService,
  type ExchangeService,
  type ExportOptions,
  type ExportResult,
  type ImportJobView,
  type ImportOptions,
  type ImportProgress,
  type ImportReport,
  type ReportProblem,
} from "./exchange.service.ts";
export { NATIONAL_COLUMNS, normalizeHeader } from "./national.columns.ts";
export {
  type Cell,
  CellProblem,
  cellText,
  type FileFormat,
  type HeaderRule,
  type OpenedTable,
  openTable,
  parseDate,
  parseFlag,
  parseIdNumber,
  parseMoney,
  parseMonth,
  parseNumber,
  parseTerm,
  parseText,
  type ReadOptions,
} from "./national.reader.ts";
export type { RowProblem } from "./national.validate.ts";
export { xlsxWriter } from "./national.writer.ts";
