/** Shapes of the API responses the web client reads (see src/modules/*\/*.schema.ts). */
import type { HouseholdValues, MemberValues } from "../../../src/core/registry-fields.ts";

export interface User {
  id: number;
  username: string;
  displayName: string;
  role: string;
  regionCode: string | null;
  regionName: string | null;
  can: string[];
}

export type Level = "province" | "city" | "county" | "town" | "village";

export interface RegionView {
  code: string;
  name: string;
  level: Level;
  parent: string | null;
  children: { code: string; name: string }[];
}

export interface RegionPathItem {
  code: string;
  name: string;
  level: Level;
}

export interface RegionSearchItem extends RegionPathItem {
  fullName: string;
}

export interface HouseholdListItem {
  householdNumber: string;
  villageCode: string;
  villageName: string | null;
  townCode: string;
  townName: string | null;
  groupName: string | null;
  headName: string | null;
  size: number;
  householdType: string | null;
  monitoringCategory: string | null;
  riskEliminated: boolean | null;
  /** Integer fen. */
  perCapitaIncome: number | null;
  version: number;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export type Extra = Record<string, unknown> | null;

/** Sensitive values arrive masked (`360726********1234`, `***`) unless the reader unmasked. */
export type HouseholdView = Omit<HouseholdValues, "householdNumber" | "villageCode"> & {
  householdNumber: string;
  villageCode: string;
  extra: Extra;
  villageName: string | null;
  townCode: string;
  townName: string | null;
  headName: string | null;
  size: number;
  version: number;
  createdAt: string | null;
  updatedAt: string | null;
};

export type MemberView = MemberValues & {
  id: number;
  position: number;
  status: "active" | "removed";
  removedReason: string | null;
  removedOn: string | null;
  age: number | null;
  extra: Extra;
};

export interface HouseholdDetail {
  household: HouseholdView;
  members: MemberView[];
  computed: { netIncome: number | null; perCapitaIncome: number | null };
  masked: boolean;
  asOf: string | null;
  can: string[];
}

export interface HistoryChange {
  field: string;
  label: string;
  memberId: number | null;
  memberName: string | null;
  old: unknown;
  new: unknown;
}

export interface HistoryEntry {
  version: number;
  kind: string;
  label: string;
  at: string;
  actor: string;
  source: string;
  sourceRef: string | null;
  reason: string | null;
  changes: HistoryChange[];
}
