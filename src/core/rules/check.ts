/**
 * Type-checks a rule against the household context. Errors name what is wrong in Chinese and
 * carry the source offset. The result maps every node to its type, for the compilers.
 */
import type { Node } from "./ast.ts";
import {
  type ContextField,
  type FactContext,
  type FactList,
  HOUSEHOLD_CONTEXT,
  MEMBER_CONTEXT,
  type PolicyParams,
  policyContext,
} from "./context.ts";
import { isNumeric, type RuleType, sameType, T, typeName } from "./types.ts";

export class RuleTypeError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = "RuleTypeError";
  }
}

export interface Checked {
  root: Node;
  type: RuleType;
  typeOf(node: Node): RuleType;
  /** The context field a `h.x` / `m.x` / `f.x` selection reads. */
  fieldOf(node: Node): ContextField | undefined;
  /** The fact list a `facts.<name>` selection names. */
  factsOf(node: Node): FactList | undefined;
}

/** Whether a node is a fact list (`facts.medical`). */
export const isFactList = (node: Node): boolean =>
  node.k === "select" && node.operand.k === "ident" && node.operand.name === "facts";

const COMPARE = new Set(["_<_", "_<=_", "_>_", "_>=_"]);
const EQUALITY = new Set(["_==_", "_!=_"]);
const ARITHMETIC = new Set(["_+_", "_-_", "_*_", "_/_", "_%_"]);
const STRING_METHODS = new Set(["startsWith", "endsWith", "contains"]);
const AGGREGATES = new Set(["sum", "min", "max"]);

export function checkRule(root: Node, params: PolicyParams = {}, facts: FactContext = {}): Checked {
  const types = new Map<Node, RuleType>();
  const fields = new Map<Node, ContextField>();
  const lists = new Map<Node, FactList>();
  const policyFields = policyContext(params);
  const fail = (node: Node, message: string): never => {
    throw new RuleTypeError(message, node.pos);
  };

  function visit(node: Node, scope: Map<string, RuleType>, inMacro: boolean): RuleType {
    const t = infer(node, scope, inMacro);
    types.set(node, t);
    return t;
  }

  function infer(node: Node, scope: Map<string, RuleType>, inMacro: boolean): RuleType {
    switch (node.k) {
      case "const":
        if (node.type === "null") return T.any;
        return { kind: node.type };
      case "ident": {
        const t = scope.get(node.name);
        if (!t)
          return fail(
            node,
            `未知的名称“${node.name}”：可用的有 h（户）、members（成员）、facts（部门数据）、policy（政策参数）、today（日期）`,
          );
        return t;
      }
      case "select": {
        const on = visit(node.operand, scope, inMacro);
        if (on.kind !== "object")
          return fail(node, `“${node.field}”前面应为 h、成员变量、facts、事实变量或 policy`);
        let field: ContextField | undefined;
        if (on.name === "household") field = HOUSEHOLD_CONTEXT[node.field];
        if (on.name === "member") field = MEMBER_CONTEXT[node.field];
        if (on.name === "facts") {
          const list = facts[node.field];
          if (!list)
            return fail(
              node,
              `部门数据中没有“${node.field}”（已有：${Object.keys(facts).join("、") || "无"}）`,
            );
          if (node.test) return fail(node, "has() 不能用于 facts；判断有无请用 size()");
          lists.set(node, list);
          return T.list(T.object(`fact:${node.field}`));
        }
        if (on.name.startsWith("fact:")) {
          field = facts[on.name.slice(5)]?.fields[node.field];
          if (!field) return fail(node, `部门数据 ${on.name.slice(5)} 没有字段“${node.field}”`);
        }
        if (on.name === "policy") {
          const pt = policyFields[node.field];
          if (!pt)
            return fail(
              node,
              `政策参数中没有“${node.field}”（已有：${Object.keys(policyFields).join("、") || "无"}）`,
            );
          return node.test ? T.bool : pt;
        }
        if (!field) {
          const where = on.name === "household" ? "户" : "成员";
          return fail(node, `${where}没有字段“${node.field}”`);
        }
        fields.set(node, field);
        return node.test ? T.bool : field.type;
      }
      case "list": {
        const items = node.items.map((i) => visit(i, scope, inMacro));
        const first = items[0] ?? T.any;
        for (const [i, t] of items.entries()) {
          if (!sameType(first, t))
            fail(node.items[i]!, `列表元素类型不一致：${typeName(first)} 与 ${typeName(t)}`);
        }
        return T.list(first);
      }
      case "macro": {
        const range = visit(node.range, scope, inMacro);
        if (inMacro) return fail(node, "不支持嵌套的 exists/all/filter/map");
        if (
          !((node.range.k === "ident" && node.range.name === "members") || isFactList(node.range))
        ) {
          return fail(
            node,
            `${node.macro} 只能用于 members 或 facts.<数据>（如 members.exists(m, m.age < 16)）；判断列表字段可用 "值" in h.字段`,
          );
        }
        if (range.kind !== "list") return fail(node, `${node.macro} 需要列表`);
        const inner = new Map(scope).set(node.v, range.of);
        if (node.where) expectBool(node.where, visit(node.where, inner, true));
        const body = visit(node.body, inner, true);
        if (node.macro === "map") return T.list(body);
        expectBool(node.body, body);
        return node.macro === "filter" ? range : T.bool;
      }
      case "call":
        return call(node, scope, inMacro);
    }
  }

  function expectBool(node: Node, t: RuleType) {
    if (t.kind !== "bool" && t.kind !== "any")
      fail(node, `此处应为真假值（bool），实际为 ${typeName(t)}`);
  }

  function call(
    node: Extract<Node, { k: "call" }>,
    scope: Map<string, RuleType>,
    inMacro: boolean,
  ): RuleType {
    const { fn } = node;
    const args = node.args.map((a) => visit(a, scope, inMacro));
    const target = node.target ? visit(node.target, scope, inMacro) : null;
    if (fn === "_&&_" || fn === "_||_") {
      for (const [i, a] of node.args.entries()) expectBool(a, args[i]!);
      return T.bool;
    }
    if (fn === "!_") {
      expectBool(node.args[0]!, args[0]!);
      return T.bool;
    }
    if (fn === "-_") {
      if (!isNumeric(args[0]!)) fail(node, "负号只能用于数字");
      return args[0]!;
    }
    if (fn === "_?_:_") {
      expectBool(node.args[0]!, args[0]!);
      if (!sameType(args[1]!, args[2]!))
        fail(node, `条件表达式两个分支类型不同：${typeName(args[1]!)} 与 ${typeName(args[2]!)}`);
      // int and double branches make a double (PostgreSQL's CASE does; SQLite then divides so).
      if (args[1]!.kind === "double" || args[2]!.kind === "double") return T.double;
      return args[1]!.kind === "any" ? args[2]! : args[1]!;
    }
    if (COMPARE.has(fn) || EQUALITY.has(fn)) {
      const [a, b] = [args[0]!, args[1]!];
      if (!sameType(a, b)) fail(node, `不能比较 ${typeName(a)} 与 ${typeName(b)}`);
      if (COMPARE.has(fn) && !(isNumeric(a) || a.kind === "string"))
        fail(node, `${typeName(a)} 不能比较大小`);
      if (a.kind === "list" || a.kind === "object") fail(node, "列表或对象不能直接比较");
      return T.bool;
    }
    if (ARITHMETIC.has(fn)) {
      const [a, b] = [args[0]!, args[1]!];
      if (!isNumeric(a) || !isNumeric(b))
        fail(node, `算术运算需要数字，实际为 ${typeName(a)} 与 ${typeName(b)}`);
      if (fn === "_%_" && (a.kind === "double" || b.kind === "double"))
        fail(node, "% 只能用于整数");
      return a.kind === "double" || b.kind === "double" ? T.double : a.kind === "any" ? b : a;
    }
    if (fn === "@in") {
      const [a, list] = [args[0]!, args[1]!];
      if (list.kind !== "list") return fail(node.args[1]!, "in 的右边应为列表");
      if (!sameType(a, list.of)) fail(node, `${typeName(a)} 不能在 ${typeName(list)} 中查找`);
      const rhs = node.args[1]!;
      if (rhs.k !== "list" && !(rhs.k === "select" && fields.get(rhs)?.storage.kind === "column")) {
        fail(rhs, 'in 的右边应为列表常量（如 ["因病", "因残"]）或列表字段（如 h.riskFactors）');
      }
      return T.bool;
    }
    if (fn === "size") {
      const on = target ?? args[0];
      if (!on || (on.kind !== "list" && on.kind !== "string"))
        return fail(node, "size() 用于列表或文字");
      return T.int;
    }
    if (fn === "has") return T.bool;
    if (fn === "int" || fn === "double") {
      if (!isNumeric(args[0]!)) fail(node, `${fn}() 需要数字`);
      return fn === "int" ? T.int : T.double;
    }
    if (STRING_METHODS.has(fn)) {
      if (target?.kind !== "string" || args.length !== 1 || args[0]!.kind !== "string")
        fail(node, `${fn}() 用法：文字.${fn}("…")`);
      if (node.args[0]!.k !== "const") fail(node.args[0]!, `${fn}() 的参数应为文字常量`);
      return T.bool;
    }
    if (fn === "monthsSince") {
      if (args.length !== 1 || args[0]!.kind !== "string")
        fail(node, "monthsSince() 需要一个年月（如 h.identifiedMonth）");
      return T.int;
    }
    if (AGGREGATES.has(fn)) {
      const arg = node.args[0];
      if (arg?.k !== "macro" || arg.macro !== "map")
        return fail(node, `${fn}() 用于 members.map(m, …) 或 facts.<数据>.map(f, …)`);
      const of = args[0]!;
      if (of.kind !== "list" || !isNumeric(of.of)) fail(node, `${fn}() 需要数字列表`);
      return (of as { kind: "list"; of: RuleType }).of;
    }
    return fail(node, `不支持的函数或运算“${fn.replace(/^_|_$/g, "").replaceAll("_", " ")}”`);
  }

  const scope = new Map<string, RuleType>([
    ["h", T.object("household")],
    ["members", T.list(T.object("member"))],
    ["policy", T.object("policy")],
    ["facts", T.object("facts")],
    ["today", T.string],
  ]);
  const type = visit(root, scope, false);
  return {
    root,
    type,
    typeOf: (n) => types.get(n) ?? T.any,
    fieldOf: (n) => fields.get(n),
    factsOf: (n) => lists.get(n),
  };
}
