/** Department data feeds (部门数据): loading, matching by ID number, facts and comparison. */
export {
  bindFeedHeaders,
  type FactValue,
  type FeedProblem,
  type FeedRow,
  feedHeaderRule,
  parseFeedRow,
} from "./feed.format.ts";
export { registerFeedsRoutes } from "./feeds.routes.ts";
export {
  createFeedsService,
  type FactCounts,
  type FeedLoadOptions,
  type FeedLoadReport,
  type FeedProgress,
  type FeedsService,
} from "./feeds.service.ts";
export {
  type RefreshedReport,
  type SignalRefresh,
  type SignalRefreshProgress,
  SWEEP_ABOVE,
  withSignalRefresh,
} from "./feeds.signals.ts";
