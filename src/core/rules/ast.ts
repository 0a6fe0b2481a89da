/**
 * A small AST for rules, made from the standard CEL `ParsedExpr` that `@bufbuild/cel` parses
 * (macros arrive expanded to comprehensions; `sourceInfo.macroCalls` names the macro).
 * Every node keeps its source offset so that errors can point at it.
 */
import { parse } from "@bufbuild/cel";

export type Macro = "exists" | "all" | "exists_one" | "filter" | "map";

export type Node = { id: number; pos: number } & (
  | {
      k: "const";
      value: boolean | number | string | null;
      type: "bool" | "int" | "double" | "string" | "null";
    }
  | { k: "ident"; name: string }
  | { k: "select"; operand: Node; field: string; test: boolean }
  | { k: "call"; fn: string; target: Node | null; args: Node[] }
  | { k: "list"; items: Node[] }
  | { k: "macro"; macro: Macro; range: Node; v: string; body: Node; where: Node | null }
);

export class RuleSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = "RuleSyntaxError";
  }
}

// The protobuf-es message types of cel.expr are structural here: only what we read.
interface PExpr {
  id: bigint;
  exprKind: { case: string | undefined; value?: unknown };
}
interface PCall {
  function: string;
  target?: PExpr;
  args: PExpr[];
}
interface PComprehension {
  iterVar: string;
  iterRange: PExpr;
  loopStep: PExpr;
}

/** Parses CEL source into the AST; syntax errors carry the offset they point at. */
export function parseRule(source: string): Node {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const m = /:(\d+):(\d+): (.*)$/s.exec(message);
    const position = m ? offsetOf(source, Number(m[1]), Number(m[2])) : 0;
    throw new RuleSyntaxError(m ? translateSyntax(m[3]!) : message, position);
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const macroCalls = (parsed.sourceInfo?.macroCalls ?? {}) as Record<
    string,
    { exprKind: { value?: unknown } }
  >;
  const posOf = (id: bigint) => Number((positions as Record<string, number>)[id.toString()] ?? 0);

  function convert(e: PExpr): Node {
    const id = Number(e.id);
    const pos = posOf(e.id);
    const kind = e.exprKind;
    switch (kind.case) {
      case "constExpr": {
        const c = (kind.value as { constantKind: { case: string; value: unknown } }).constantKind;
        switch (c.case) {
          case "boolValue":
            return { id, pos, k: "const", value: c.value as boolean, type: "bool" };
          case "int64Value":
          case "uint64Value":
            return { id, pos, k: "const", value: Number(c.value as bigint), type: "int" };
          case "doubleValue":
            return { id, pos, k: "const", value: c.value as number, type: "double" };
          case "stringValue":
            return { id, pos, k: "const", value: c.value as string, type: "string" };
          case "nullValue":
            return { id, pos, k: "const", value: null, type: "null" };
          default:
            throw new RuleSyntaxError(`不支持的常量类型 ${c.case}`, pos);
        }
      }
      case "identExpr":
        return { id, pos, k: "ident", name: (kind.value as { name: string }).name };
      case "selectExpr": {
        const s = kind.value as { operand: PExpr; field: string; testOnly: boolean };
        return {
          id,
          pos,
          k: "select",
          operand: convert(s.operand),
          field: s.field,
          test: s.testOnly,
        };
      }
      case "callExpr": {
        const c = kind.value as PCall;
        return {
          id,
          pos,
          k: "call",
          fn: c.function,
          target: c.target?.exprKind.case ? convert(c.target) : null,
          args: c.args.map(convert),
        };
      }
      case "listExpr":
        return {
          id,
          pos,
          k: "list",
          items: (kind.value as { elements: PExpr[] }).elements.map(convert),
        };
      case "comprehensionExpr":
        return macro(e, kind.value as PComprehension);
      default:
        throw new RuleSyntaxError(`不支持的表达式（${kind.case ?? "空"}）`, pos);
    }
  }

  /** Recovers exists/all/exists_one/filter/map from the expanded comprehension. */
  function macro(e: PExpr, c: PComprehension): Node {
    const id = Number(e.id);
    const call = macroCalls[e.id.toString()]?.exprKind.value as PCall | undefined;
    const pos = call?.target ? posOf(call.target.id) : posOf(e.id);
    const name = call?.function;
    const step = c.loopStep.exprKind.value as PCall;
    const range = convert(c.iterRange);
    const base = { id, pos, k: "macro" as const, range, v: c.iterVar };
    const listItem = (x: PExpr) =>
      ((x.exprKind.value as PCall).args[1]!.exprKind.value as { elements: PExpr[] }).elements[0]!;
    switch (name) {
      case "exists":
      case "all":
        return { ...base, macro: name, body: convert(step.args[1]!), where: null };
      case "exists_one":
      case "filter":
        return { ...base, macro: name, body: convert(step.args[0]!), where: null };
      case "map":
        if (step.function === "_?_:_") {
          return {
            ...base,
            macro: "map",
            body: convert(listItem(step.args[1]!)),
            where: convert(step.args[0]!),
          };
        }
        return { ...base, macro: "map", body: convert(listItem(c.loopStep)), where: null };
      default:
        throw new RuleSyntaxError(`不支持的宏 ${name ?? "(未知)"}`, pos);
    }
  }

  if (!parsed.expr) throw new RuleSyntaxError("表达式为空", 0);
  return convert(parsed.expr as unknown as PExpr);
}

function offsetOf(source: string, line: number, column: number): number {
  const lines = source.split("\n");
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
  return Math.min(source.length, offset + Math.max(0, column - 1));
}

function translateSyntax(message: string): string {
  const m = /found (.*) but expecting (.*)/.exec(message);
  if (m) return `语法错误：此处出现 ${m[1]}，应为 ${m[2]}`;
  return `语法错误：${message}`;
}
