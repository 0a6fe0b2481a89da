/**
 * 人均纯收入 — household per-capita net income:
 * (wage 工资性 + business 生产经营性 + property 财产性 + counted transfers 转移性
 *  − business costs 生产经营性支出) ÷ household size.
 * Which transfers count is policy data (`IncomePolicy.countedTransfers`); the registry keeps the
 * transfer total and, where known, its parts.
 */
import type { Fen } from "./money.ts";

/** Annual income components of a household, in fen; null means not surveyed. */
export interface IncomeComponents {
  wageIncome: Fen | null;
  businessIncome: Fen | null;
  propertyIncome: Fen | null;
  transferIncome: Fen | null;
  businessCosts: Fen | null;
  /** Parts of the transfer income by kind (`dibao`, `pension`, `eco_subsidy` …), where known. */
  transferParts?: Record<string, Fen>;
}

/** The part of a policy that decides how income is computed. */
export interface IncomePolicy {
  /**
   * Transfer kinds that count as income. `"*"` counts the whole transfer total; otherwise only
   * the listed parts count, and a transfer total without parts counts whole.
   */
  countedTransfers: readonly string[];
}

export const COUNT_ALL_TRANSFERS: IncomePolicy = { countedTransfers: ["*"] };

/** Transfers that count under the policy, in fen. */
export function countedTransfer(c: IncomeComponents, policy: IncomePolicy): Fen {
  const total = c.transferIncome ?? 0;
  if (policy.countedTransfers.includes("*")) return total;
  const parts = c.transferParts;
  if (!parts || Object.keys(parts).length === 0) return total;
  let sum = 0;
  for (const kind of policy.countedTransfers) sum += parts[kind] ?? 0;
  return sum;
}

/** Household net income for the year, in fen; null when nothing was surveyed. */
export function netIncome(c: IncomeComponents, policy: IncomePolicy): Fen | null {
  const surveyed = [
    c.wageIncome,
    c.businessIncome,
    c.propertyIncome,
    c.transferIncome,
    c.businessCosts,
  ];
  if (surveyed.every((v) => v === null)) return null;
  return (
    (c.wageIncome ?? 0) +
    (c.businessIncome ?? 0) +
    (c.propertyIncome ?? 0) +
    countedTransfer(c, policy) -
    (c.businessCosts ?? 0)
  );
}

/** Per-capita net income in fen, rounded half up to the fen; null when unknown or no members. */
export function perCapitaIncome(
  c: IncomeComponents,
  size: number,
  policy: IncomePolicy,
): Fen | null {
  const net = netIncome(c, policy);
  if (net === null || size <= 0) return null;
  return Math.round(net / size);
}
