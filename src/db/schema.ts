/** Table types for Kysely, derived from the field table so a field is declared once. */
import type { Generated } from "kysely";
import type {
  FieldDef,
  FieldKind,
  HOUSEHOLD_FIELDS,
  MEMBER_FIELDS,
} from "../core/registry-fields.ts";

type ColumnValue<K extends FieldKind> = K extends "flag" | "money" | "int" | "decimal"
  ? number
  : string;
type Columns<T extends readonly FieldDef[]> = {
  [F in T[number] as F["column"]]: ColumnValue<F["kind"]> | null;
};

export interface RegionTable {
  code: string;
  name: string;
  /** 1 province, 2 city, 3 county, 4 town, 5 village. */
  level: number;
  parent_code: string | null;
}

export type HouseholdTable = Omit<
  Columns<typeof HOUSEHOLD_FIELDS>,
  "household_number" | "village_code"
> & {
  id: Generated<number>;
  household_number: string;
  village_code: string;
  head_name: string | null;
  size: number;
  /** JSON object of attributes without a field of their own (unknown import columns). */
  extra: string | null;
  version: number;
  created_at: string;
  updated_at: string;
};

export type MemberTable = Omit<Columns<typeof MEMBER_FIELDS>, "name" | "id_number"> & {
  id: Generated<number>;
  household_id: number;
  name: string;
  id_number: string;
  position: number;
  status: "active" | "removed";
  removed_reason: string | null;
  removed_on: string | null;
  extra: string | null;
};

export interface HouseholdEventTable {
  id: Generated<number>;
  household_id: number;
  /** The household's version after this event. */
  version: number;
  kind: string;
  at: string;
  actor_id: number | null;
  actor_name: string;
  source: string;
  source_ref: string | null;
  reason: string | null;
  /** JSON payload; see modules/registry/history.ts. */
  data: string;
}

export interface UserTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  role: string;
  region_code: string | null;
  display_name: string | null;
  disabled: Generated<number>;
  created_at: string;
  /** JSON array of the feed types a department user works with; null: every feed. */
  feed_types: string | null;
}

export interface SessionTable {
  token_hash: string;
  user_id: number;
  created_at: string;
  expires_at: string;
}

/** A department machine's API token (migration 007); only the secret's hash is kept. */
export interface ApiTokenTable {
  id: Generated<number>;
  name: string;
  department: string;
  /** JSON array of feed types. */
  feed_types: string;
  region_code: string;
  prefix: string;
  token_hash: string;
  created_by: number | null;
  created_by_name: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  last_used_ip: string | null;
  revoked_at: string | null;
  revoked_by_name: string | null;
}

export interface AuditTable {
  id: Generated<number>;
  at: string;
  actor_id: number | null;
  actor_name: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  region_code: string | null;
  detail: string | null;
}

export interface SignalTable {
  id: Generated<number>;
  household_id: number;
  village_code: string;
  rule_id: string;
  code: string | null;
  category: string;
  severity: string;
  verify: number;
  policy_id: string;
  status: "open" | "resolved";
  /** JSON object of the rule's evidence values. */
  evidence: string | null;
  opened_at: string;
  deadline: string | null;
  resolved_at: string | null;
  resolution: string | null;
}

/**
 * Open signals per village and rule, kept by triggers (migration 012). On PostgreSQL a key may
 * have several rows (deltas not yet compacted): always sum `n`.
 */
export interface SignalCountTable {
  village_code: string;
  rule_id: string;
  category: string;
  severity: string;
  n: number;
}

/** Open verification tasks per village and deadline, kept like `signal_counts`. */
export interface VerificationCountTable {
  village_code: string;
  deadline: string;
  n: number;
}

export interface SweepTable {
  id: Generated<number>;
  started_at: string;
  finished_at: string | null;
  region_code: string | null;
  policy_ids: string;
  households: number;
  opened: number;
  resolved: number;
  open_total: number;
  by_rule: string | null;
  ms: number | null;
  actor_name: string;
}

export interface VerificationTable {
  id: Generated<number>;
  signal_id: number;
  household_id: number;
  village_code: string;
  rule_id: string;
  status: "open" | "done";
  assigned_region: string | null;
  deadline: string;
  outcome: string | null;
  outcome_reason: string | null;
  created_at: string;
  updated_at: string;
  version: Generated<number>;
}

export interface VerificationEventTable {
  id: Generated<number>;
  verification_id: number;
  at: string;
  actor_name: string;
  kind: string;
  data: string | null;
}

export interface PolicyVersionTable {
  id: Generated<number>;
  policy_id: string;
  region_code: string | null;
  year: number;
  version: number;
  status: "draft" | "published";
  /** The policy file's YAML text. */
  content: string;
  created_at: string;
  created_by: string;
  published_at: string | null;
  published_by: string | null;
}

export interface CaseTable {
  id: Generated<number>;
  /** 案件编号 `<county>-<year>-<id>`, set right after the insert. */
  number: string | null;
  type: string;
  status: "active" | "paused" | "completed" | "rejected" | "withdrawn";
  /** Index of the current step in `workflow` (the step count once completed). */
  step: number;
  /** The current step's id while open; the status once closed (for work lists). */
  current_step: string;
  household_id: number;
  village_code: string;
  /** Monitoring category an identification proposes. */
  category: string | null;
  /** JSON list of risk factor codes. */
  risk_factors: string | null;
  /** JSON object of type-specific details (target village, corrections, reason …). */
  details: string | null;
  /** How the lead came: self_report, cadre, screening, hotline. */
  lead_source: string;
  lead_date: string;
  deadline: string | null;
  green_channel: Generated<number>;
  assistance_started_on: string | null;
  verification_id: number | null;
  policy_id: string;
  /** JSON of the workflow definition the case follows (as it was when opened). */
  workflow: string;
  decided_on: string | null;
  completed_at: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  version: Generated<number>;
}

export interface CaseStepTable {
  id: Generated<number>;
  case_id: number;
  step: number;
  step_id: string;
  /** opened, completed, sent_back, posted, paused, resumed, rejected, withdrawn. */
  action: string;
  actor_id: number | null;
  actor_name: string;
  at: string;
  comment: string | null;
  /** JSON of what the step recorded (visit findings, votes, comparison …). */
  data: string | null;
}

export interface NoticeBatchTable {
  id: Generated<number>;
  village_code: string;
  /** notice (公示) or announcement (公告). */
  kind: "notice" | "announcement";
  case_type: string;
  title: string;
  starts_on: string;
  ends_on: string;
  deliberation_date: string | null;
  issuer: string;
  village_phone: string | null;
  town_phone: string | null;
  created_at: string;
  created_by: string;
}

/** One posted line, kept as posted: only what a public notice may show. */
export interface NoticeEntryTable {
  id: Generated<number>;
  batch_id: number;
  case_id: number;
  seq: number;
  group_name: string | null;
  head_name: string;
  size: number;
  change: string;
  risks: string | null;
}

export interface ObjectionTable {
  id: Generated<number>;
  receipt: string;
  batch_id: number;
  entry_id: number | null;
  case_id: number | null;
  village_code: string;
  objector: string | null;
  /** The objector's contact; never shown publicly. */
  contact: string | null;
  content: string;
  received_at: string;
  status: "open" | "resolved";
  outcome: "upheld" | "dismissed" | null;
  resolution: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
}

export interface AttachmentTable {
  id: Generated<number>;
  case_id: number;
  step: number | null;
  kind: string;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  storage_key: string;
  uploaded_at: string;
  uploaded_by: string;
}

export interface CadreTable {
  id: Generated<number>;
  region_code: string;
  name: string;
  unit: string;
  post: string | null;
  rank: string;
  phone: string | null;
  status: string;
  status_changed_on: string | null;
  user_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface PairingTable {
  id: Generated<number>;
  cadre_id: number;
  household_id: number;
  village_code: string;
  started_on: string;
  start_reason: string | null;
  ended_on: string | null;
  end_reason: string | null;
  created_by: string;
  created_at: string;
}

export interface AssistancePlanTable {
  id: Generated<number>;
  household_id: number;
  village_code: string;
  goal: string | null;
  updated_at: string;
  updated_by: string;
}

export interface AssistanceMeasureTable {
  id: Generated<number>;
  household_id: number;
  village_code: string;
  code: string;
  category: string;
  name: string;
  development: number;
  amount_fen: number;
  date: string;
  status: string;
  note: string | null;
  source: string;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface VisitTable {
  id: Generated<number>;
  household_id: number;
  village_code: string;
  cadre_id: number | null;
  visited_on: string;
  notes: string;
  measures: string;
  photo_key: string | null;
  photo_mime: string | null;
  photo_sha256: string | null;
  created_at: string;
  created_by: string;
}

export interface WorkTeamMemberTable {
  id: Generated<number>;
  village_code: string;
  name: string;
  unit: string;
  role: string;
  phone: string | null;
  status: string;
  created_at: string;
}

export interface WorkTeamAttendanceTable {
  id: Generated<number>;
  member_id: number;
  village_code: string;
  month: string;
  days: number;
  leader_visits: number;
  note: string | null;
  recorded_at: string;
  recorded_by: string;
}

export interface DB {
  regions: RegionTable;
  households: HouseholdTable;
  members: MemberTable;
  household_events: HouseholdEventTable;
  users: UserTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  audit_log: AuditTable;
  signals: SignalTable;
  signal_counts: SignalCountTable;
  verification_counts: VerificationCountTable;
  sweeps: SweepTable;
  verifications: VerificationTable;
  verification_events: VerificationEventTable;
  policy_versions: PolicyVersionTable;
  cases: CaseTable;
  case_steps: CaseStepTable;
  notice_batches: NoticeBatchTable;
  notice_entries: NoticeEntryTable;
  objections: ObjectionTable;
  attachments: AttachmentTable;
  cadres: CadreTable;
  pairings: PairingTable;
  assistance_plans: AssistancePlanTable;
  assistance_measures: AssistanceMeasureTable;
  visits: VisitTable;
  work_team_members: WorkTeamMemberTable;
  work_team_attendance: WorkTeamAttendanceTable;
  feed_loads: FeedLoadTable;
  feed_rows: FeedRowTable;
  facts: FactTable;
  duplicate_reviews: DuplicateReviewTable;
  income_closings: IncomeClosingTable;
  household_incomes: HouseholdIncomeTable;
}

export interface IncomeClosingTable {
  id: Generated<number>;
  year: number;
  kind: "close_year" | "backfill";
  region_code: string | null;
  actor_id: number | null;
  actor_name: string;
  at: string;
  households: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
}

/** One household's income for one year (money in fen). */
export interface HouseholdIncomeTable {
  household_id: number;
  year: number;
  village_code: string;
  wage_income: number | null;
  business_income: number | null;
  property_income: number | null;
  transfer_income: number | null;
  business_costs: number | null;
  net_income: number | null;
  size: number;
  reported_per_capita: number | null;
  source: "close_year" | "backfill";
  closing_id: number;
  recorded_at: string;
  recorded_by: string;
}

export interface DuplicateReviewTable {
  id: Generated<number>;
  member_a: number;
  member_b: number;
  kind: string;
  decision: "dismissed" | "merged";
  kept_member: number | null;
  note: string | null;
  actor_id: number | null;
  actor_name: string;
  decided_at: string;
}

export interface FeedLoadTable {
  id: Generated<number>;
  feed_type: string;
  file_hash: string;
  file_name: string;
  format: string;
  policy_id: string;
  region_code: string | null;
  actor_id: number | null;
  actor_name: string;
  loaded_at: string;
  rows: number;
  matched: number;
  unmatched: number;
  ambiguous: number;
  created: number;
  unchanged: number;
  superseded: number;
  /** Set when the load was withdrawn (撤销): its facts ended, those it superseded restored. */
  withdrawn_at: string | null;
  withdrawn_by: string | null;
  withdraw_reason: string | null;
}

export interface FeedRowTable {
  id: Generated<number>;
  load_id: number;
  row_number: number;
  outcome: "unmatched" | "ambiguous";
  reason: string;
  id_number: string;
  name: string | null;
  village_code: string | null;
  vals: string;
}

export interface FactTable {
  id: Generated<number>;
  feed_type: string;
  row_key: string;
  id_number: string;
  member_id: number;
  household_id: number;
  village_code: string;
  effective_from: string;
  effective_to: string | null;
  period: string | null;
  vals: string;
  /** The load the fact came in (its file, hash and time: feed_loads). */
  load_id: number;
  row_number: number;
  superseded_by: number | null;
  superseded_load: number | null;
  superseded_at: string | null;
}
