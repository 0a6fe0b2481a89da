/**
 * 公民身份号码 — resident ID numbers (GB 11643-1999) and 残疾人证 — disability certificate
 * numbers, which are the ID number followed by the disability category and grade.
 *
 * An 18-character ID number is: 6-digit region of first registration, 8-digit birth date,
 * 3-digit sequence (odd for men, even for women) and an ISO 7064 MOD 11-2 check character.
 */
import { chinaDate } from "./dates.ts";
import { toHalfWidth } from "./money.ts";

export type IdErrorCode =
  | "id_number_empty"
  | "id_number_scientific"
  | "id_number_length"
  | "id_number_format"
  | "id_number_region"
  | "id_number_birth_date"
  | "id_number_check_char"
  | "id_number_disability_suffix";

export type IdCheck =
  | {
      valid: true;
      input: string;
      normalized: string;
      kind: "resident" | "disability";
      /** The 18-character resident ID the number contains. */
      residentId: string;
      birthDate: string;
      sex: "male" | "female";
      /** 残疾类别 (1–7) and 残疾等级 (1–4), for disability certificate numbers. */
      disability?: { category: number; grade: number };
    }
  | { valid: false; input: string; normalized: string; error: IdErrorCode; message: string };

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = "10X98765432";

/** Province-level codes in use since 1999 (the first two digits of any valid region code). */
const PROVINCES = new Set([
  "11",
  "12",
  "13",
  "14",
  "15",
  "21",
  "22",
  "23",
  "31",
  "32",
  "33",
  "34",
  "35",
  "36",
  "37",
  "41",
  "42",
  "43",
  "44",
  "45",
  "46",
  "50",
  "51",
  "52",
  "53",
  "54",
  "61",
  "62",
  "63",
  "64",
  "65",
  "71",
  "81",
  "82",
  "83",
  "91",
]);

const MESSAGES: Record<IdErrorCode, string> = {
  id_number_empty: "证件号码为空",
  id_number_scientific:
    "证件号码被 Excel 存成了数字（科学计数法），末几位已丢失，请把该列设为文本后重新填写",
  id_number_length: "证件号码应为 18 位（残疾人证 20 或 22 位）",
  id_number_format: "证件号码只能由数字组成，最后一位可以是 X",
  id_number_region: "证件号码前两位不是有效的省级行政区划代码",
  id_number_birth_date: "证件号码中的出生日期无效",
  id_number_check_char: "证件号码校验码错误，可能有数字录错",
  id_number_disability_suffix: "残疾人证号码末尾的残疾类别（1–7）或等级（1–4）无效",
};

/** The MOD 11-2 check character of the first 17 digits. */
export function checkChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/** Trims, folds full-width characters and upper-cases a trailing x. */
export function normalizeIdNumber(input: string): string {
  if (isPlainResidentId(input)) return input;
  return toHalfWidth(input).replace(/\s+/g, "").toUpperCase();
}

/** 17 ASCII digits and a digit or X: already normalised (nearly every number in a file). */
function isPlainResidentId(s: string): boolean {
  if (s.length !== 18) return false;
  for (let i = 0; i < 17; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  const last = s.charCodeAt(17);
  return (last >= 48 && last <= 57) || last === 88;
}

const failed = (input: string, normalized: string, error: IdErrorCode): IdCheck => ({
  valid: false,
  input,
  normalized,
  error,
  message: MESSAGES[error],
});

/**
 * Checks an ID or disability certificate number.
 * @param today the date against which a birth date in the future is refused (ISO, defaults to now)
 * @example checkIdNumber("11010519491231002x").valid === true
 */
export function checkIdNumber(input: string, today: string = chinaDate(new Date())): IdCheck {
  const normalized = normalizeIdNumber(input);
  if (normalized === "") return failed(input, normalized, "id_number_empty");
  if (normalized.includes("E") && /^\d(\.\d+)?E\+?\d+$/.test(normalized))
    return failed(input, normalized, "id_number_scientific");
  if (normalized.length !== 18 && normalized.length !== 20 && normalized.length !== 22)
    return failed(input, normalized, "id_number_length");
  const residentId = normalized.length === 18 ? normalized : normalized.slice(0, 18);
  if (!isPlainResidentId(residentId)) return failed(input, normalized, "id_number_format");
  if (!PROVINCES.has(residentId.slice(0, 2))) return failed(input, normalized, "id_number_region");
  const birthDate = `${residentId.slice(6, 10)}-${residentId.slice(10, 12)}-${residentId.slice(12, 14)}`;
  if (!isRealDate(birthDate) || birthDate < "1890-01-01" || birthDate > today)
    return failed(input, normalized, "id_number_birth_date");
  if (checkChar(residentId) !== residentId[17])
    return failed(input, normalized, "id_number_check_char");
  const sex = Number(residentId[16]) % 2 === 1 ? "male" : "female";
  if (normalized.length === 18)
    return { valid: true, input, normalized, kind: "resident", residentId, birthDate, sex };
  const suffix = normalized.slice(18);
  const m = /^([1-7])([1-4])(B\d)?$/.exec(suffix);
  if (!m || (normalized.length === 22) !== (m[3] !== undefined))
    return failed(input, normalized, "id_number_disability_suffix");
  return {
    valid: true,
    input,
    normalized,
    kind: "disability",
    residentId,
    birthDate,
    sex,
    disability: { category: Number(m[1]), grade: Number(m[2]) },
  };
}

/** True when `iso` (YYYY-MM-DD) names a day that exists in the Gregorian calendar. */
export function isRealDate(iso: string): boolean {
  // YYYY-MM-DD read digit by digit (no match arrays or Date objects: feed loads call this
  // several times a row). Years before 100 are refused, as Date.UTC would read them as 19xx.
  if (iso.length !== 10 || iso.charCodeAt(4) !== 45 || iso.charCodeAt(7) !== 45) return false;
  const y = digitsAt(iso, 0, 4);
  const mo = digitsAt(iso, 5, 2);
  const d = digitsAt(iso, 8, 2);
  if (y < 100 || mo < 1 || mo > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (mo === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[mo - 1]!);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written by `length` ASCII digits at `start`, or -1 if any is not a digit. */
function digitsAt(s: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Builds a valid ID number from its parts (used by the demo generator and test factories).
 * @param sequence 0–999; its parity must match the sex
 */
export function makeIdNumber(region: string, birthDate: string, sequence: number): string {
  const first17 = `${region}${birthDate.replaceAll("-", "")}${String(sequence).padStart(3, "0")}`;
  return first17 + checkChar(first17);
}

/** Masks an ID number for display (6 + stars + 4): the region and the last four characters stay. */
export function maskIdNumber(id: string): string {
  if (id.length < 10) return "*".repeat(id.length);
  return `${id.slice(0, 6)}${"*".repeat(id.length - 10)}${id.slice(-4)}`;
}

/** Full years between a birth date and a day, both ISO. */
export function ageOn(birthDate: string, day: string): number {
  const years = Number(day.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return day.slice(5) < birthDate.slice(5) ? years - 1 : years;
}
