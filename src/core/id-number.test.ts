import { describe, expect, it } from "vitest";
import {
  ageOn,
  checkChar,
  checkIdNumber,
  type IdCheck,
  isRealDate,
  makeIdNumber,
  maskIdNumber,
  normalizeIdNumber,
} from "./id-number.ts";

/** The example number printed in GB 11643-1999 itself. */
const GB_EXAMPLE = "11010519491231002X";
const TODAY = "2025-06-15";

function expectError(result: IdCheck, error: string) {
  expect(result.valid).toBe(false);
  if (result.valid) return;
  expect(result.error).toBe(error);
  expect(result.message).not.toBe("");
}

/** A small deterministic PRNG (mulberry32) so property checks are reproducible. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROVINCES = ["11", "31", "36", "44", "53", "65", "91"];

function randomIds(count: number, seed: number) {
  const next = rng(seed);
  const int = (n: number) => Math.floor(next() * n);
  const ids: { id: string; birthDate: string; sequence: number }[] = [];
  const start = Date.UTC(1900, 0, 1);
  const end = Date.UTC(2024, 11, 31);
  for (let i = 0; i < count; i++) {
    const region = PROVINCES[int(PROVINCES.length)]! + String(int(10_000)).padStart(4, "0");
    const birthDate = new Date(start + int((end - start) / 86_400_000) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const sequence = int(1000);
    ids.push({ id: makeIdNumber(region, birthDate, sequence), birthDate, sequence });
  }
  return ids;
}

describe("checkChar", () => {
  it("computes the ISO 7064 MOD 11-2 character of the GB example", () => {
    expect(checkChar("11010519491231002")).toBe("X");
    // 3·7+6·9+0·10+7·5+2·8+6·4+1·2+9·1+9·6+0·3+0·7+1·9+0·10+1·5+0·8+0·4+1·2 = 231, 231 mod 11 = 0 → "1"
    expect(checkChar("36072619900101001")).toBe("1");
    expect(checkIdNumberSelfCheck("36072619900101001")).toBe("1");
  });
});

/** Independent reference implementation (weights 2^(17-i) mod 11), to cross-check checkChar. */
function checkIdNumberSelfCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  const value = (12 - (sum % 11)) % 11;
  return value === 10 ? "X" : String(value);
}

describe("checkIdNumber — valid numbers", () => {
  it("accepts the GB example and reads birth date and sex", () => {
    const r = checkIdNumber(GB_EXAMPLE, TODAY);
    expect(r).toEqual({
      valid: true,
      input: GB_EXAMPLE,
      normalized: GB_EXAMPLE,
      kind: "resident",
      residentId: GB_EXAMPLE,
      birthDate: "1949-12-31",
      sex: "female",
    });
  });

  it("normalises a lowercase trailing x and keeps the raw input", () => {
    const r = checkIdNumber("11010519491231002x", TODAY);
    expect(r.valid).toBe(true);
    expect(r.normalized).toBe(GB_EXAMPLE);
    expect(r.input).toBe("11010519491231002x");
  });

  it("folds full-width digits and letters and strips spaces", () => {
    const r = checkIdNumber("１１０１０５１９４９１２３１００２ｘ", TODAY);
    expect(r.valid).toBe(true);
    expect(r.normalized).toBe(GB_EXAMPLE);
    expect(checkIdNumber(" 110105 19491231 002X\u3000", TODAY).normalized).toBe(GB_EXAMPLE);
    expect(checkIdNumber(" 110105 19491231 002X\u3000", TODAY).valid).toBe(true);
  });

  it("reads the sex from the parity of the 17th digit", () => {
    const male = makeIdNumber("360726", "1990-01-01", 13);
    const female = makeIdNumber("360726", "1990-01-01", 14);
    expect(checkIdNumber(male, TODAY)).toMatchObject({ valid: true, sex: "male" });
    expect(checkIdNumber(female, TODAY)).toMatchObject({ valid: true, sex: "female" });
  });

  it("accepts a birth date equal to today and 29 February of a leap year", () => {
    expect(checkIdNumber(makeIdNumber("360726", TODAY, 1), TODAY).valid).toBe(true);
    expect(checkIdNumber(makeIdNumber("360726", "2000-02-29", 1), TODAY)).toMatchObject({
      valid: true,
      birthDate: "2000-02-29",
    });
  });

  it("property: 1,000 random numbers built with makeIdNumber all validate and round-trip", () => {
    for (const { id, birthDate, sequence } of randomIds(1000, 11643)) {
      const r = checkIdNumber(id, TODAY);
      expect(r.valid, id).toBe(true);
      if (!r.valid) continue;
      expect(r.normalized).toBe(id);
      expect(r.birthDate).toBe(birthDate);
      expect(r.sex).toBe(sequence % 2 === 1 ? "male" : "female");
      expect(id.slice(14, 17)).toBe(String(sequence).padStart(3, "0"));
      expect(id[17]).toBe(checkIdNumberSelfCheck(id.slice(0, 17)));
    }
  });

  it("property: changing any single character of a valid number makes it invalid", () => {
    for (const { id } of randomIds(200, 7064)) {
      for (let pos = 0; pos < 18; pos++) {
        const alphabet = pos === 17 ? "0123456789X" : "0123456789";
        for (const c of alphabet) {
          if (c === id[pos]) continue;
          const changed = id.slice(0, pos) + c + id.slice(pos + 1);
          expect(checkIdNumber(changed, TODAY).valid, `${id} → ${changed}`).toBe(false);
        }
      }
    }
  });

  it("property: swapping two different adjacent characters makes it invalid", () => {
    for (const { id } of randomIds(200, 1999)) {
      for (let pos = 0; pos < 17; pos++) {
        if (id[pos] === id[pos + 1]) continue;
        const swapped = id.slice(0, pos) + id[pos + 1] + id[pos] + id.slice(pos + 2);
        expect(checkIdNumber(swapped, TODAY).valid, `${id} → ${swapped}`).toBe(false);
      }
    }
  });
});

describe("checkIdNumber — invalid numbers", () => {
  it("refuses empty and blank input", () => {
    expectError(checkIdNumber("", TODAY), "id_number_empty");
    expectError(checkIdNumber("  \u3000", TODAY), "id_number_empty");
  });

  it("refuses a wrong check character", () => {
    expectError(checkIdNumber("110105194912310021", TODAY), "id_number_check_char");
    const valid = makeIdNumber("360726", "1985-07-08", 21);
    const wrong = valid.slice(0, 17) + (valid[17] === "0" ? "1" : "0");
    expectError(checkIdNumber(wrong, TODAY), "id_number_check_char");
  });

  it("refuses lengths other than 18, 20 and 22", () => {
    for (const n of [1, 15, 17, 19, 21, 23, 30]) {
      expectError(checkIdNumber("1".repeat(n), TODAY), "id_number_length");
    }
    expectError(checkIdNumber(GB_EXAMPLE.slice(0, 17), TODAY), "id_number_length");
    expectError(checkIdNumber(`${GB_EXAMPLE}1`, TODAY), "id_number_length");
  });

  it("refuses non-digits and an X anywhere but last", () => {
    expectError(checkIdNumber("11010519491231002A", TODAY), "id_number_format");
    expectError(checkIdNumber("1101051949123100X2", TODAY), "id_number_format");
    expectError(checkIdNumber("11010519491231-02X", TODAY), "id_number_format");
  });

  it("refuses impossible birth dates (checksum otherwise correct)", () => {
    for (const date of [
      "1990-02-30",
      "2001-02-29",
      "1900-02-29",
      "1990-13-01",
      "1990-00-10",
      "1990-04-31",
      "1990-01-00",
    ]) {
      expectError(checkIdNumber(makeIdNumber("360726", date, 1), TODAY), "id_number_birth_date");
    }
  });

  it("refuses birth dates in the future and before 1890", () => {
    expectError(
      checkIdNumber(makeIdNumber("360726", "2025-06-16", 1), TODAY),
      "id_number_birth_date",
    );
    expectError(
      checkIdNumber(makeIdNumber("360726", "2090-01-01", 1), TODAY),
      "id_number_birth_date",
    );
    expectError(
      checkIdNumber(makeIdNumber("360726", "1889-12-31", 1), TODAY),
      "id_number_birth_date",
    );
    expect(checkIdNumber(makeIdNumber("360726", "1890-01-01", 1), TODAY).valid).toBe(true);
  });

  it("refuses a province prefix that does not exist", () => {
    for (const prefix of ["00", "10", "19", "24", "39", "47", "55", "66", "99"]) {
      expectError(
        checkIdNumber(makeIdNumber(`${prefix}0726`, "1990-01-01", 1), TODAY),
        "id_number_region",
      );
    }
  });

  it("recognises a number Excel turned into scientific notation", () => {
    expectError(checkIdNumber("3.60726E+17", TODAY), "id_number_scientific");
    expectError(checkIdNumber("3.60726e+17", TODAY), "id_number_scientific");
    expectError(checkIdNumber("3.60726199E17", TODAY), "id_number_scientific");
  });
});

describe("checkIdNumber — 残疾人证 numbers", () => {
  const id = makeIdNumber("360726", "1970-03-04", 35);

  it("accepts 20 characters: ID, category 1–7, grade 1–4", () => {
    const r = checkIdNumber(`${id}73`, TODAY);
    expect(r).toEqual({
      valid: true,
      input: `${id}73`,
      normalized: `${id}73`,
      kind: "disability",
      residentId: id,
      birthDate: "1970-03-04",
      sex: "male",
      disability: { category: 7, grade: 3 },
    });
  });

  it("accepts 22 characters with a B<digit> suffix, lowercase b folded", () => {
    expect(checkIdNumber(`${id}12B1`, TODAY)).toMatchObject({
      valid: true,
      kind: "disability",
      disability: { category: 1, grade: 2 },
    });
    const lower = checkIdNumber(`${id}41b2`, TODAY);
    expect(lower).toMatchObject({
      valid: true,
      normalized: `${id}41B2`,
      disability: { category: 4, grade: 1 },
    });
  });

  it("refuses a category outside 1–7 or a grade outside 1–4", () => {
    for (const suffix of ["81", "01", "15", "10", "90", "1A", "82B1", "15B1", "01B1"]) {
      expectError(checkIdNumber(id + suffix, TODAY), "id_number_disability_suffix");
    }
    expectError(checkIdNumber(`${id}81`, TODAY), "id_number_disability_suffix");
    expectError(checkIdNumber(`${id}15`, TODAY), "id_number_disability_suffix");
    expectError(checkIdNumber(`${id}00`, TODAY), "id_number_disability_suffix");
  });

  it("refuses a 22-character number without B and a B suffix that is malformed", () => {
    expectError(checkIdNumber(`${id}1212`, TODAY), "id_number_disability_suffix");
    expectError(checkIdNumber(`${id}12BB`, TODAY), "id_number_disability_suffix");
    expectError(checkIdNumber(`${id}12C1`, TODAY), "id_number_disability_suffix");
  });

  it("still checks the resident part", () => {
    const wrong = id.slice(0, 17) + (id[17] === "0" ? "1" : "0");
    expectError(checkIdNumber(`${wrong}12`, TODAY), "id_number_check_char");
    expectError(
      checkIdNumber(`${makeIdNumber("360726", "1970-02-30", 1)}12`, TODAY),
      "id_number_birth_date",
    );
  });
});

describe("makeIdNumber", () => {
  it("builds region + yyyymmdd + zero-padded sequence + check character", () => {
    expect(makeIdNumber("110105", "1949-12-31", 2)).toBe(GB_EXAMPLE);
    const id = makeIdNumber("360726", "2001-09-03", 7);
    expect(id.slice(0, 17)).toBe("36072620010903007");
    expect(id).toHaveLength(18);
  });
});

describe("normalizeIdNumber", () => {
  it("folds width, removes whitespace and upper-cases", () => {
    expect(normalizeIdNumber("１１０１０５ 19491231002ｘ")).toBe(GB_EXAMPLE);
    expect(normalizeIdNumber("\t11010519491231002x\n")).toBe(GB_EXAMPLE);
  });
});

describe("isRealDate", () => {
  it("knows the Gregorian calendar", () => {
    expect(isRealDate("2000-02-29")).toBe(true);
    expect(isRealDate("2024-02-29")).toBe(true);
    expect(isRealDate("1900-02-29")).toBe(false);
    expect(isRealDate("2001-02-29")).toBe(false);
    expect(isRealDate("2001-04-31")).toBe(false);
    expect(isRealDate("2001-12-31")).toBe(true);
    expect(isRealDate("2001-1-3")).toBe(false);
    expect(isRealDate("20010103")).toBe(false);
  });

  it("agrees with Date on every day of four centuries and on malformed text", () => {
    // The reading through Date that isRealDate replaced (it allocated a match and a Date a call).
    const byDate = (iso: string) => {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
      if (!m) return false;
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const date = new Date(Date.UTC(y, mo - 1, d));
      return (
        date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
      );
    };
    const texts: string[] = [];
    for (const y of [1, 99, 100, 400, 1600, 1700, 1899, 1900, 1996, 2000, 2023, 2024, 2100, 9999])
      for (let mo = 0; mo <= 13; mo++)
        for (let d = 0; d <= 32; d++)
          texts.push(
            `${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`,
          );
    texts.push(
      "2024-02-2a",
      "2024/02/02",
      "２０２４-01-01",
      "2024-01-01 ",
      "-024-01-01",
      "2024-0x-01",
    );
    for (const t of texts) expect(isRealDate(t), t).toBe(byDate(t));
    expect(texts.filter(isRealDate).length).toBeGreaterThan(3000);
  });
});

describe("maskIdNumber", () => {
  it("keeps the region and the last four characters", () => {
    expect(maskIdNumber(GB_EXAMPLE)).toBe("110105********002X");
    const id = makeIdNumber("360726", "1970-03-04", 35);
    expect(maskIdNumber(`${id}12B1`)).toBe(`360726${"*".repeat(12)}12B1`);
    expect(maskIdNumber(GB_EXAMPLE)).not.toContain("1949");
  });

  it("masks short values completely", () => {
    expect(maskIdNumber("123456789")).toBe("*********");
    expect(maskIdNumber("")).toBe("");
    expect(maskIdNumber("1234567890")).toBe("123456" + "7890");
  });
});

describe("ageOn", () => {
  it("counts full years, turning on the birthday", () => {
    expect(ageOn("1990-06-15", "2025-06-14")).toBe(34);
    expect(ageOn("1990-06-15", "2025-06-15")).toBe(35);
    expect(ageOn("1990-06-15", "2025-12-31")).toBe(35);
    expect(ageOn("2025-01-01", "2025-12-31")).toBe(0);
    expect(ageOn("1949-12-31", "1950-01-01")).toBe(0);
  });

  it("lets a 29 February child turn a year older on 1 March of common years", () => {
    expect(ageOn("2000-02-29", "2001-02-28")).toBe(0);
    expect(ageOn("2000-02-29", "2001-03-01")).toBe(1);
    expect(ageOn("2000-02-29", "2004-02-29")).toBe(4);
  });
});
