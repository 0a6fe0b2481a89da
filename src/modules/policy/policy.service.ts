/** The policy in force for a region and year: shipped files plus versions published in the web. */
import { invalid } from "../../core/errors.ts";
import { type CompiledRule, compilePolicy, type RuleError } from "./policy.compile.ts";
import {
  loadPolicyFiles,
  POLICY_DIR,
  parsePolicy,
  pickPolicy,
  resolvePolicy,
} from "./policy.loader.ts";
import type { EffectivePolicy, PolicyFile } from "./policy.schema.ts";

export interface CompiledPolicy extends EffectivePolicy {
  /** Id of the most specific file applied (the signals record it). */
  id: string;
  compiled: CompiledRule[];
}

export interface PolicyDeps {
  /** Folder of policy files (default: the shipped `policies/`). */
  dir?: string;
  /** Extra policy files (published web versions, a `--policy FILE`), overriding same ids. */
  extra?: () => PolicyFile[];
}

export function createPolicyService(deps: PolicyDeps = {}) {
  let files: Map<string, PolicyFile> | undefined;
  const cache = new Map<string, CompiledPolicy>();

  function all(): Map<string, PolicyFile> {
    files ??= loadPolicyFiles(deps.dir ?? POLICY_DIR);
    const merged = new Map(files);
    for (const p of deps.extra?.() ?? []) merged.set(p.id, p);
    return merged;
  }

  function compile(effective: EffectivePolicy, id: string): CompiledPolicy {
    const { rules, errors } = compilePolicy(effective);
    if (errors.length > 0) {
      const e = errors[0]!;
      throw invalid(`政策 ${id} 的规则 ${e.rule}（${e.part}）有错误：${e.message}`, {
        code: "policy_rule_error",
        detail: { errors },
      });
    }
    return { ...effective, id, compiled: rules };
  }

  return {
    /** The compiled policy for a region (any level below a county) and year. */
    forRegion(region: string | null, year: number): CompiledPolicy {
      const key = `${region?.slice(0, 6) ?? ""}|${year}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const files = all();
      const leaf = pickPolicy(files, region, year);
      const compiled = compile(resolvePolicy(files, leaf), leaf.id);
      cache.set(key, compiled);
      return compiled;
    },

    /** Checks a policy file's text: its format, its inheritance and every rule. */
    check(
      text: string,
      name = "policy.yaml",
    ): { ok: true; policy: EffectivePolicy } | { ok: false; errors: RuleError[] } {
      const file = parsePolicy(text, name);
      const files = all();
      files.set(file.id, file);
      const effective = resolvePolicy(files, file);
      const { errors } = compilePolicy(effective);
      return errors.length > 0 ? { ok: false, errors } : { ok: true, policy: effective };
    },

    /** Compiles a policy given as text (a `--policy FILE` or a draft), resolving its parents. */
    fromText(text: string, name = "policy.yaml"): CompiledPolicy {
      const file = parsePolicy(text, name);
      const files = all();
      files.set(file.id, file);
      return compile(resolvePolicy(files, file), file.id);
    },

    /** Forgets compiled policies (after a publish). */
    invalidate() {
      cache.clear();
    },

    files: () => [...all().values()],
  };
}
export type PolicyService = ReturnType<typeof createPolicyService>;
