/** Shapes of the assistance API (src/modules/assistance/assistance.schema.ts). */
export interface HouseholdBrief {
  householdNumber: string;
  villageCode: string;
  headName: string | null;
  size: number;
  householdType: string | null;
  monitoringCategory: string | null;
}

export interface MeasureView {
  id: number;
  code: string;
  category: string;
  name: string;
  developmentType: boolean;
  amountFen: number;
  date: string;
  status: "planned" | "delivered" | "stopped";
  note: string | null;
}

export interface PlanView {
  household: HouseholdBrief;
  helper: {
    name: string;
    unit: string;
    post: string | null;
    phone: string | null;
    since: string;
  } | null;
  goal: string | null;
  measures: MeasureView[];
  visits: {
    id: number;
    visitedOn: string;
    notes: string;
    measureIds: number[];
    cadreName: string | null;
    hasPhoto: boolean;
  }[];
  pairings: {
    id: number;
    cadreName: string;
    startedOn: string;
    endedOn: string | null;
    endReason: string | null;
  }[];
  catalogue: { code: string; name: string; category: string; development: boolean }[];
  can: string[];
}

export interface MineView {
  everyDays: number;
  items: (HouseholdBrief & { lastVisit: string | null; dueOn: string; overdue: boolean })[];
}

export interface CadreView {
  id: number;
  name: string;
  unit: string;
  post: string | null;
  rank: string;
  rankName: string;
  phone: string | null;
  status: string;
  load: number;
  quota: number | null;
}

export interface TeamReport {
  village: string;
  month: string;
  minDays: number;
  members: {
    id: number;
    name: string;
    unit: string;
    role: string;
    days: number | null;
    leaderVisits: number | null;
    belowMinimum: boolean;
  }[];
  households: number;
  paired: number;
  visits: number;
  measuresDelivered: number;
}

/** A file's bytes as base64 (for the visit photo). */
export function fileBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1] ?? "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export const cardUrl = (householdNumber: string, size: "A4" | "A5") =>
  `/api/households/${encodeURIComponent(householdNumber)}/assistance-card?size=${size}`;
