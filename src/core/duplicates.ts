/**
 * 疑似重复人员 — likely duplicate members, pure: members of different households with the same
 * birth date whose names are equal, or equal once characters that sound alike are folded to
 * one of their group (policy `homophones`).
 */

export interface MemberRow {
  id: number;
  householdId: number;
  name: string;
  birthDate: string | null;
}

export type DuplicateKind = "same_name_birth" | "homophone";

export interface Candidate<M extends MemberRow> {
  a: M;
  b: M;
  kind: DuplicateKind;
}

/** Maps each character of a group to the group's first character. */
export function homophoneFolder(groups: readonly string[]): (name: string) => string {
  const map = new Map<string, string>();
  for (const g of groups) {
    const chars = [...g];
    for (const c of chars) if (!map.has(c)) map.set(c, chars[0]!);
  }
  return (name) => [...name.replace(/\s+/g, "")].map((c) => map.get(c) ?? c).join("");
}

/**
 * Pairs of likely duplicates, smaller id first, those in `known` (`a:b`) left out; a group of
 * more than `maxGroup` people (a common name on a common day) yields no pairs — too weak a sign.
 */
export function findCandidates<M extends MemberRow>(
  members: readonly M[],
  homophones: readonly string[],
  known: ReadonlySet<string> = new Set(),
  maxGroup = 6,
): Candidate<M>[] {
  const fold = homophoneFolder(homophones);
  const groups = new Map<string, M[]>();
  for (const m of members) {
    if (!m.birthDate) continue;
    const key = `${fold(m.name)}|${m.birthDate}`;
    const list = groups.get(key);
    if (list) list.push(m);
    else groups.set(key, [m]);
  }
  const out: Candidate<M>[] = [];
  for (const list of groups.values()) {
    if (list.length < 2 || list.length > maxGroup) continue;
    list.sort((x, y) => x.id - y.id);
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i]!, list[j]!];
        if (a.householdId === b.householdId || known.has(`${a.id}:${b.id}`)) continue;
        const same = a.name.replace(/\s+/g, "") === b.name.replace(/\s+/g, "");
        out.push({ a, b, kind: same ? "same_name_birth" : "homophone" });
      }
  }
  return out.sort((x, y) => x.a.id - y.a.id || x.b.id - y.b.id);
}
