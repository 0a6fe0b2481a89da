/**
 * National-format files for tests: rows as the national system writes them (Chinese terms, yuan,
 * 是/否, YYYYMM), built from factory households, written as xlsx (two title rows) or CSV.
 */
import { writeFileSync } from "node:fs";
import ExcelJS from "exceljs";
import { formatYuan } from "../src/core/money.ts";
import {
  HEALTH,
  HOUSEHOLD_TYPES,
  ID_TYPES,
  labelFor,
  MONITORING_CATEGORIES,
  RISK_FACTORS,
  SEXES,
} from "../src/core/vocab.ts";
import type { CreateHouseholdInput } from "../src/modules/registry/index.ts";

export type NationalRow = Record<string, string | number | Date | null>;

/** The columns test files carry: a realistic subset, plus one the national table lacks. */
export const TEST_HEADERS = [
  "县",
  "乡",
  "村",
  "户编号",
  "姓名",
  "证件类型",
  "证件号码",
  "性别",
  "出生日期",
  "与户主关系",
  "健康状况",
  "是否参加城乡居民基本医疗保险",
  "公益性岗位（月数）",
  "户类型",
  "监测对象类别",
  "致贫/返贫风险1",
  "识别监测时间",
  "风险是否已消除",
  "消除监测时间",
  "人均纯收入（元）",
  "工资性收入",
  "生产经营性收入",
  "财产性收入",
  "转移性收入",
  "生产经营性支出",
  "是否危房户",
  "耕地面积（亩）",
  "其他备注",
  "帮扶责任人",
] as const;

export interface Place {
  county: string;
  town: string;
  village: string;
}

export const XINSHAN_XIUTIAN: Place = { county: "安远县", town: "欣山镇", village: "修田村" };
export const KONGTIAN_XIAWEI: Place = { county: "安远县", town: "孔田镇", village: "下魏村" };

const flag = (v: boolean | null | undefined) => (v === true ? "是" : v === false ? "否" : null);
const yuan = (fen: number | null | undefined) =>
  fen === null || fen === undefined ? null : formatYuan(fen);
const month = (m: string | null | undefined) => (m ? m.replace("-", "") : null);

/** One row per member, household fields repeated, as the national export has them. */
export function nationalRows(input: CreateHouseholdInput, place: Place): NationalRow[] {
  const h = input.household;
  const size = input.members.length;
  const net =
    (h.wageIncome ?? 0) +
    (h.businessIncome ?? 0) +
    (h.propertyIncome ?? 0) +
    (h.transferIncome ?? 0) -
    (h.businessCosts ?? 0);
  const perCapita = h.perCapitaIncome ?? Math.round(net / size);
  return input.members.map((m) => ({
    县: place.county,
    乡: place.town,
    村: place.village,
    户编号: h.householdNumber ?? null,
    姓名: m.name ?? null,
    证件类型: labelFor(ID_TYPES, m.idType) || null,
    证件号码: m.idNumber ?? null,
    性别: labelFor(SEXES, m.sex) || null,
    出生日期: m.birthDate ? m.birthDate.replaceAll("-", "") : null,
    与户主关系: m.relationship ?? null,
    健康状况: labelFor(HEALTH, m.health) || null,
    是否参加城乡居民基本医疗保险: flag(m.insResidentMedical),
    "公益性岗位（月数）": m.publicWelfareJobMonths ?? null,
    户类型: labelFor(HOUSEHOLD_TYPES, h.householdType) || null,
    监测对象类别: labelFor(MONITORING_CATEGORIES, h.monitoringCategory) || null,
    "致贫/返贫风险1": h.riskFactors?.[0] ? labelFor(RISK_FACTORS, h.riskFactors[0]) : null,
    识别监测时间: month(h.identifiedMonth),
    风险是否已消除: flag(h.riskEliminated),
    消除监测时间: month(h.eliminatedMonth),
    "人均纯收入（元）": yuan(perCapita),
    工资性收入: yuan(h.wageIncome),
    生产经营性收入: yuan(h.businessIncome),
    财产性收入: yuan(h.propertyIncome),
    转移性收入: yuan(h.transferIncome),
    生产经营性支出: yuan(h.businessCosts),
    是否危房户: flag(h.dangerousHouse),
    "耕地面积（亩）": h.arableLand ?? null,
    其他备注: h.remarks ?? null,
    帮扶责任人: "王干部",
  }));
}

/** Writes rows under two title rows and the header, as the national exports look. */
export async function writeWorkbook(
  path: string,
  rows: readonly NationalRow[],
  headers: readonly string[] = TEST_HEADERS,
): Promise<void> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("监测对象信息");
  ws.addRow(["监测对象信息"]);
  ws.mergeCells(1, 1, 1, headers.length);
  ws.addRow(["导出单位：安远县乡村振兴局　导出日期：2026-01-05"]);
  ws.addRow([...headers]);
  for (const r of rows) ws.addRow(headers.map((h) => r[h] ?? null));
  await wb.xlsx.writeFile(path);
}

/** The same as CSV (UTF-8 with BOM). */
export function writeCsv(
  path: string,
  rows: readonly NationalRow[],
  headers: readonly string[] = TEST_HEADERS,
): void {
  const quote = (v: unknown) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [
    "监测对象信息",
    "导出日期：2026-01-05",
    headers.join(","),
    ...rows.map((r) => headers.map((h) => quote(r[h])).join(",")),
  ];
  writeFileSync(path, `\ufeff${lines.join("\r\n")}\r\n`);
}

/** First data row of a file written by writeWorkbook / writeCsv. */
export const FIRST_ROW = 4;
