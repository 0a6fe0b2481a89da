/**
 * Types of the rule language: CEL's scalar types plus the objects of the household context.
 * `null` values (unknown data) follow Kleene logic; see ./README in docs/rules.md.
 */
export type ScalarType = "bool" | "int" | "double" | "string";
export type RuleType =
  | { kind: ScalarType }
  | { kind: "list"; of: RuleType }
  | { kind: "object"; name: ObjectName }
  | { kind: "any" };
/** `facts` is the namespace of fact lists; `fact:<name>` one fact of the list `facts.<name>`. */
export type ObjectName = "household" | "member" | "policy" | "facts" | `fact:${string}`;

export const T = {
  bool: { kind: "bool" },
  int: { kind: "int" },
  double: { kind: "double" },
  string: { kind: "string" },
  any: { kind: "any" },
  list: (of: RuleType): RuleType => ({ kind: "list", of }),
  object: (name: ObjectName): RuleType => ({ kind: "object", name }),
} as const;

export function typeName(t: RuleType): string {
  if (t.kind === "list") return `list(${typeName(t.of)})`;
  if (t.kind === "object") return t.name;
  return t.kind;
}

export const isNumeric = (t: RuleType) =>
  t.kind === "int" || t.kind === "double" || t.kind === "any";

export function sameType(a: RuleType, b: RuleType): boolean {
  if (a.kind === "any" || b.kind === "any") return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  if (a.kind === "list" && b.kind === "list") return sameType(a.of, b.of);
  if (a.kind === "object" && b.kind === "object") return a.name === b.name;
  return a.kind === b.kind;
}
