import { checkIdNumber } from "../core/id-number.ts";
import type { Command } from "./command.ts";
import { UsageError } from "./output.ts";

export const idcheckCommand: Command = {
  name: "idcheck",
  summary: "校验身份证号码或残疾人证号码",
  usage: "fangpin idcheck <号码>... [--json]",
  options: {},
  positionals: true,
  async run({ positionals }, out) {
    if (positionals.length === 0) throw new UsageError(`请给出要校验的号码\n用法：${this.usage}`);
    const results = positionals.map((input) => {
      const c = checkIdNumber(input);
      return c.valid
        ? { input, valid: true, normalized: c.normalized, birthDate: c.birthDate, sex: c.sex }
        : { input, valid: false, normalized: c.normalized, error: c.error, message: c.message };
    });
    out.result(
      { results },
      results
        .map((r) =>
          r.valid
            ? `✓ ${r.normalized}  ${r.birthDate}  ${r.sex === "male" ? "男" : "女"}`
            : `✗ ${r.input}  ${r.message}`,
        )
        .join("\n"),
    );
  },
};
