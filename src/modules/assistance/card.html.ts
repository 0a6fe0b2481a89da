/**
 * The assistance card (明白卡 / 帮扶联系卡) that hangs in the household: who the household is
 * (head, size, category), who helps it (name, unit, post, phone), the work team's contact, the
 * plan and its measures with amounts and dates, and the 12317 hotline. Printed on A4 or A5.
 * It is rendered from the card's data only, which carries no ID number.
 */
import { formatYuan } from "../../core/money.ts";
import { HOUSEHOLD_TYPES, labelFor, MONITORING_CATEGORIES } from "../../core/vocab.ts";
import { MEASURE_STATUS_LABELS, type PlanView, TEAM_ROLE_LABELS } from "./assistance.schema.ts";

export interface CardData extends PlanView {
  villageName: string | null;
  townName: string | null;
  team: { name: string; role: string; phone: string | null }[];
  hotline: string;
  printedOn: string;
}

export const CARD_SIZES = ["A4", "A5"] as const;
export type CardSize = (typeof CARD_SIZES)[number];

const esc = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

const chineseDate = (date: string) => {
  const [y, m, d] = date.split("-").map(Number);
  return `${y}年${m}月${d}日`;
};

function style(size: CardSize): string {
  const [w, h, pad, base] = size === "A4" ? [210, 297, 16, 12] : [148, 210, 10, 10];
  return `
  * { box-sizing: border-box; }
  body { margin: 0; background: #eef0f3; color: #000;
    font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", "Source Han Serif SC", serif; }
  .sheet { width: ${w}mm; min-height: ${h}mm; margin: 12px auto; padding: ${pad}mm;
    background: #fff; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
  h1 { margin: 0 0 4mm; text-align: center; font-size: ${base + 8}pt; letter-spacing: .2em;
    font-family: "SimHei", "Heiti SC", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; }
  h2 { margin: 4mm 0 2mm; font-size: ${base + 1}pt; border-left: 2mm solid #b22; padding-left: 2mm;
    font-family: "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif; }
  table { width: 100%; border-collapse: collapse; margin: 0 0 2mm; }
  th, td { border: 1px solid #000; padding: 1.5mm; font-size: ${base}pt; text-align: left; }
  th { font-weight: normal; background: #f3f3f3; white-space: nowrap;
    font-family: "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif; }
  td.num { text-align: right; white-space: nowrap; }
  p { margin: 1mm 0; font-size: ${base}pt; line-height: 1.6; }
  .foot { margin-top: 5mm; font-size: ${base}pt; text-align: right; }
  .hotline { font-size: ${base + 2}pt; text-align: center; margin-top: 4mm; }
  .no-print { text-align: center; margin: 8px; font-family: sans-serif; }
  @page { size: ${size}; margin: 0; }
  @media print {
    body { background: #fff; }
    .sheet { margin: 0; box-shadow: none; }
    .no-print { display: none; }
  }`;
}

export function cardPage(card: CardData, size: CardSize): string {
  const h = card.household;
  const category = h.monitoringCategory
    ? labelFor(MONITORING_CATEGORIES, h.monitoringCategory)
    : labelFor(HOUSEHOLD_TYPES, h.householdType);
  const helper = card.helper;
  const measures = card.measures.filter((m) => m.status !== "stopped");
  const total = measures.reduce((s, m) => s + m.amountFen, 0);
  const rows =
    measures.length === 0
      ? `<tr><td colspan="5">暂无帮扶措施</td></tr>`
      : measures
          .map(
            (m) =>
              `<tr><td>${esc(m.category)}</td><td>${esc(m.name)}${m.developmentType ? "（开发式）" : ""}</td><td class="num">${m.amountFen > 0 ? `${formatYuan(m.amountFen)} 元` : "—"}</td><td>${esc(m.date)}</td><td>${MEASURE_STATUS_LABELS[m.status]}</td></tr>`,
          )
          .join("\n");
  const team =
    card.team.length === 0
      ? "—"
      : card.team
          .map(
            (t) =>
              `${esc(TEAM_ROLE_LABELS[t.role as keyof typeof TEAM_ROLE_LABELS] ?? t.role)} ${esc(t.name)}${t.phone ? ` ${esc(t.phone)}` : ""}`,
          )
          .join("；");
  const title = `${h.headName ?? ""}户帮扶明白卡`;
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${esc(title)}</title>
<style>${style(size)}</style>
</head>
<body>
<div class="no-print"><button type="button" onclick="window.print()">打印（${size}）</button></div>
<section class="sheet">
<h1>帮扶明白卡</h1>
<h2>农户信息</h2>
<table>
<tr><th>户主</th><td>${esc(h.headName ?? "")}</td><th>家庭人口</th><td>${h.size} 人</td></tr>
<tr><th>户类型</th><td>${esc(category)}</td><th>所在村</th><td>${esc([card.townName, card.villageName].filter(Boolean).join(" "))}</td></tr>
</table>
<h2>帮扶责任人</h2>
<table>
<tr><th>姓名</th><td>${esc(helper?.name ?? "尚未结对")}</td><th>联系电话</th><td>${esc(helper?.phone ?? "—")}</td></tr>
<tr><th>工作单位</th><td>${esc(helper?.unit ?? "—")}</td><th>职务</th><td>${esc(helper?.post ?? "—")}</td></tr>
<tr><th>驻村工作队</th><td colspan="3">${team}</td></tr>
</table>
<h2>帮扶计划（一户一策）</h2>
<p>${esc(card.goal ?? "—")}</p>
<h2>帮扶措施</h2>
<table>
<tr><th>类别</th><th>措施</th><th>金额</th><th>日期</th><th>状态</th></tr>
${rows}
${measures.length > 0 ? `<tr><th colspan="2">合计</th><td class="num">${formatYuan(total)} 元</td><td colspan="2"></td></tr>` : ""}
</table>
<p class="hotline">如有问题，请联系帮扶责任人或拨打监督举报电话 <b>${esc(card.hotline)}</b></p>
<p class="foot">${chineseDate(card.printedOn)}</p>
</section>
</body>
</html>
`;
}
