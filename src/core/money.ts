/**
 * Money is kept as integer fen (分) everywhere inside fangpin; yuan appear only at the edges
 * (forms, Excel). JS numbers hold integers exactly up to 2^53 fen ≈ 90 trillion yuan, far above
 * any household or county budget, so plain numbers are used, checked to be safe integers.
 */
import { invalid } from "./errors.ts";

export type Fen = number;

const YUAN_PATTERN = /^([+-])?(\d+)(?:\.(\d{0,2})\d*)?$/;

/**
 * Parses a yuan amount as people write it ("1,234.5", "１２３", "-20", 1234.56) into fen.
 * Digits past the second decimal are rounded half away from zero. Returns null for blanks.
 * @example parseYuan("7,500.5") === 750050
 */
export function parseYuan(input: string | number | null | undefined, field?: string): Fen | null {
  if (input === null || input === undefined) return null;
  if (typeof input === "number") {
    if (!Number.isFinite(input))
      throw invalid(`金额不是有效数字：${input}`, { field, code: "money_not_number" });
    const fen = Math.round(input * 100 + (input >= 0 ? 1e-7 : -1e-7));
    return checkSafe(fen, field);
  }
  const text = toHalfWidth(input)
    .replace(/[,，\s]/g, "")
    .replace(/元$/, "");
  if (text === "") return null;
  const m = YUAN_PATTERN.exec(text);
  if (!m) throw invalid(`金额“${input}”不是数字`, { field, code: "money_not_number" });
  const sign = m[1] === "-" ? -1 : 1;
  const whole = Number(m[2]);
  const decimals = (m[3] ?? "").padEnd(2, "0");
  const rest = text.split(".")[1]?.slice(2) ?? "";
  let fen = whole * 100 + Number(decimals);
  if (rest !== "" && Number(rest[0]) >= 5) fen += 1;
  return checkSafe(sign * fen, field);
}

function checkSafe(fen: number, field?: string): Fen {
  if (!Number.isSafeInteger(fen)) throw invalid("金额过大", { field, code: "money_too_large" });
  return fen === 0 ? 0 : fen;
}

/** Formats fen as yuan with two decimals and no grouping ("7500.50"), as the national files do. */
export function formatYuan(fen: Fen): string {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** Converts full-width digits, letters and punctuation (Ｘ, １, ．) to their half-width forms. */
export function toHalfWidth(text: string): string {
  // Nearly every cell has nothing to fold: one pass over its characters, no regex.
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3000 || (c >= 0xff01 && c <= 0xff5e)) break;
  }
  if (i === text.length) return text;
  return text
    .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, " ");
}
