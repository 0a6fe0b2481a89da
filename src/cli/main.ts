/** The `fangpin` command line: one file per command, dispatched here. */
import {
  cadreAddCommand,
  measureAddCommand,
  measuresCommand,
  measuresImportCommand,
  pairCommand,
} from "./assistance.ts";
import { backupCommand, restoreCommand } from "./backup.ts";
import {
  caseAdvanceCommand,
  caseAnnounceCommand,
  caseApproveCommand,
  caseNoticeCommand,
  caseOpenCommand,
  caseShowCommand,
} from "./case.ts";
import type { Command } from "./command.ts";
import { parse } from "./command.ts";
import { demoCommand } from "./demo.ts";
import { exportNationalCommand } from "./export.ts";
import { feedLoadCommand, feedWithdrawCommand } from "./feed.ts";
import { idcheckCommand } from "./idcheck.ts";
import { importNationalCommand } from "./import.ts";
import { incomeBackfillCommand, incomeCloseYearCommand } from "./income.ts";
import { migrateCommand } from "./migrate.ts";
import { policyCheckCommand, signalsCommand, sweepCommand } from "./monitoring.ts";
import { createOutput, reportError, UsageError } from "./output.ts";
import { regionsLoadCommand, regionsShowCommand } from "./regions.ts";
import { serveCommand } from "./serve.ts";
import { startCommand } from "./start.ts";
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from "./token.ts";
import { userAddCommand } from "./user.ts";

const COMMANDS: Command[] = [
  migrateCommand,
  backupCommand,
  restoreCommand,
  idcheckCommand,
  regionsLoadCommand,
  regionsShowCommand,
  demoCommand,
  userAddCommand,
  serveCommand,
  startCommand,
  sweepCommand,
  signalsCommand,
  incomeCloseYearCommand,
  incomeBackfillCommand,
  policyCheckCommand,
  importNationalCommand,
  exportNationalCommand,
  feedLoadCommand,
  feedWithdrawCommand,
  tokenCreateCommand,
  tokenListCommand,
  tokenRevokeCommand,
  caseOpenCommand,
  caseAdvanceCommand,
  caseShowCommand,
  caseNoticeCommand,
  caseApproveCommand,
  caseAnnounceCommand,
  cadreAddCommand,
  pairCommand,
  measureAddCommand,
  measuresCommand,
  measuresImportCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "fangpin — 防贫监测与帮扶系统",
    "",
    "用法：fangpin <命令> [选项]   （每个命令都接受 --db <url> 与 --json）",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "数据库地址：sqlite:<文件路径>（默认 sqlite:./data/fangpin.db）或 postgres://…",
  ].join("\n");
}

/** Finds the longest command name matching the leading words of argv. */
function find(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(" ");
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(`${help()}\n`);
    return 0;
  }
  try {
    const found = find(argv);
    if (!found)
      throw new UsageError(
        `未知命令：${argv
          .filter((a) => !a.startsWith("-"))
          .slice(0, 2)
          .join(" ")}\n\n${help()}`,
      );
    const { values, positionals } = parse(found.command, found.rest);
    if (values.help) {
      process.stdout.write(`${found.command.summary}\n用法：${found.command.usage}\n`);
      return 0;
    }
    await found.command.run({ values, positionals }, createOutput(json));
    return 0;
  } catch (e) {
    return reportError(e, json);
  }
}

const code = await main(process.argv.slice(2));
// Long-running commands (serve, start) never resolve main; the others end here.
process.exitCode ??= code;
