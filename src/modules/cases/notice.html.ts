/**
 * The printed notice (公示) and announcement (公告): one A4 page per batch, in Chinese, as it
 * is posted on the village board, and the same page on the public web with a form to object.
 * It renders only a batch's posted lines (group, head's name, size, change, risk category), so
 * it cannot show an ID number, a household's phone, bank or health details.
 */
import type { NoticeBatchView, ObjectionStatusView } from "./cases.schema.ts";

const esc = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** 2026-07-01 → 2026年7月1日 */
export function chineseDate(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  return `${y}年${m}月${d}日`;
}

const STYLE = `
  * { box-sizing: border-box; }
  body { margin: 0; background: #eef0f3; color: #000;
    font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", "Source Han Serif SC", serif; }
  .sheet { width: 210mm; min-height: 297mm; margin: 12px auto; padding: 22mm 18mm 18mm;
    background: #fff; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
  h1 { margin: 0 0 8mm; text-align: center; font-size: 20pt; line-height: 1.4;
    font-family: "SimHei", "Heiti SC", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; }
  p { margin: 0 0 4mm; font-size: 13pt; line-height: 1.8; text-indent: 2em; }
  table { width: 100%; border-collapse: collapse; margin: 2mm 0 6mm; }
  th, td { border: 1px solid #000; padding: 2mm 1.5mm; font-size: 12pt; text-align: center; }
  th { font-family: "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif; font-weight: normal; }
  .issuer { margin-top: 12mm; text-align: right; font-size: 13pt; line-height: 1.8; }
  .empty { text-align: center; font-size: 14pt; color: #555; }
  form { margin-top: 8mm; padding-top: 6mm; border-top: 1px dashed #999; font-size: 12pt;
    font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
  form h2 { font-size: 14pt; margin: 0 0 4mm; }
  form label { display: block; margin: 3mm 0 1mm; }
  form select, form input, form textarea { width: 100%; font-size: 12pt; padding: 1.5mm; }
  form button { margin-top: 4mm; font-size: 13pt; padding: 2mm 8mm; }
  .sheet--compact { min-height: 0; padding-top: 8mm; padding-bottom: 10mm; }
  .sheet--compact form { margin-top: 0; padding-top: 0; border-top: none; }
  form.lookup { display: flex; gap: 2mm; align-items: center; flex-wrap: wrap; }
  form.lookup h2 { flex-basis: 100%; }
  form.lookup input { flex: 1 1 60mm; width: auto; }
  form.lookup button { margin-top: 0; }
  dl.receipt { display: grid; grid-template-columns: 32mm 1fr; gap: 2mm 4mm; font-size: 13pt;
    line-height: 1.7; margin: 0 0 6mm; }
  dl.receipt dt { color: #444; }
  dl.receipt dd { margin: 0; }
  @page { size: A4; margin: 0; }
  @media print {
    body { background: #fff; }
    .sheet { margin: 0; box-shadow: none; page-break-after: always; }
    .no-print { display: none; }
  }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** What the batch's households are being listed for, in the opening paragraph. */
function purpose(b: NoticeBatchView): string {
  switch (b.caseType) {
    case "identification":
      return "纳入防止返贫监测对象";
    case "risk_elimination":
      return "标注为风险消除";
    case "exit":
      return "退出建档立卡贫困户";
    default:
      return "办理登记变更";
  }
}

function sheet(b: NoticeBatchView, withForm: boolean): string {
  const n = b.entries.length;
  const deliberation = b.deliberationDate
    ? `于${chineseDate(b.deliberationDate)}经村民代表会议民主评议，`
    : "经村级民主评议，";
  const paragraph =
    b.kind === "notice"
      ? `根据防止返贫动态监测和帮扶工作要求，经农户申请、干部排查或部门筛查预警，入户核实、信息比对，${deliberation}拟将以下 ${n} 户${purpose(b)}，现予以公示。`
      : `经村级民主评议和公示、乡镇审核、县级审定，以下 ${n} 户已${purpose(b)}，现予以公告。`;
  const changeHeader = b.caseType === "identification" ? "监测对象类别" : "变更事项";
  const rows = b.entries
    .map(
      (e) =>
        `<tr><td>${e.seq}</td><td>${esc(e.groupName ?? "")}</td><td>${esc(e.headName)}</td><td>${e.size}</td><td>${esc(e.change)}</td><td>${esc(e.risks ?? "")}</td></tr>`,
    )
    .join("\n");
  const phone = (p: string | null) => (p ? `（电话 ${esc(p)}）` : "");
  const period = `${b.kind === "notice" ? "公示" : "公告"}期为${chineseDate(b.startsOn)}至${chineseDate(b.endsOn)}，共 ${b.days} 天。`;
  const objection =
    b.kind === "notice"
      ? `公示期间，如有异议，请向${esc(b.villageName ?? "")}村民委员会${phone(b.villagePhone)}、${esc(b.townName ?? "")}人民政府${phone(b.townPhone)}反映，或拨打监督举报电话 ${esc(b.hotline)}。`
      : `如有疑问，请拨打监督举报电话 ${esc(b.hotline)}。`;
  const form =
    withForm && b.kind === "notice"
      ? `
<form class="no-print" method="post" action="/notices/${esc(b.villageCode)}/objections">
  <h2>提出异议</h2>
  <input type="hidden" name="batch" value="${b.id}">
  <label for="seq-${b.id}">对哪一户有异议</label>
  <select id="seq-${b.id}" name="seq" required>
    ${b.entries.map((e) => `<option value="${e.seq}">${e.seq}. ${esc(e.headName)}</option>`).join("")}
  </select>
  <label for="content-${b.id}">异议内容</label>
  <textarea id="content-${b.id}" name="content" rows="4" minlength="5" maxlength="2000" required></textarea>
  <label for="name-${b.id}">您的姓名（选填）</label>
  <input id="name-${b.id}" name="name" maxlength="60">
  <label for="contact-${b.id}">联系方式（选填，仅用于答复，不公开）</label>
  <input id="contact-${b.id}" name="contact" maxlength="60">
  <button type="submit">提交异议</button>
</form>`
      : "";
  return `<section class="sheet">
<h1>${esc(b.title)}</h1>
<p>${paragraph}</p>
<table>
<thead><tr><th>序号</th><th>村民小组</th><th>户主姓名</th><th>家庭人口</th><th>${changeHeader}</th><th>主要风险</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p>${period}</p>
<p>${objection}</p>
<div class="issuer">${esc(b.issuer)}<br>${chineseDate(b.startsOn)}</div>${form}
</section>`;
}

/** The form that looks an objection up by its receipt number. */
function lookupForm(receipt = ""): string {
  return `
<form class="no-print lookup" method="get" action="/notices/receipt">
  <h2>查询异议办理情况</h2>
  <label for="receipt-number">回执号</label>
  <input id="receipt-number" name="number" maxlength="24" value="${esc(receipt)}" placeholder="如 YY20260701A1B2C3D4E5" required>
  <button type="submit">查询</button>
</form>`;
}

/** The public page of a village: every notice and announcement posted today. */
export function villageNoticesPage(
  villageName: string,
  batches: readonly NoticeBatchView[],
): string {
  const body =
    batches.length > 0
      ? batches.map((b) => sheet(b, true)).join("\n")
      : `<section class="sheet"><h1>${esc(villageName)}公示公告</h1><p class="empty">目前没有正在公示或公告的事项。</p></section>`;
  return page(
    `${villageName}公示公告`,
    `${body}\n<section class="sheet sheet--compact no-print">${lookupForm()}</section>`,
  );
}

const OUTCOMES: Record<string, string> = { upheld: "异议成立", dismissed: "异议不成立" };

/** Where an objection stands, for the person who lodged it (by receipt number). */
export function receiptPage(o: ObjectionStatusView | null, receipt = "", problem?: string): string {
  const facts = o
    ? `<dl class="receipt">
<dt>回执号</dt><dd>${esc(o.receipt)}</dd>
<dt>所涉公示</dt><dd>${esc(o.notice)}</dd>
<dt>收到日期</dt><dd>${chineseDate(o.receivedOn)}</dd>
<dt>办理状态</dt><dd>${o.status === "resolved" ? "已办结" : "已收到，正在调查核实"}</dd>
${
  o.status === "resolved"
    ? `<dt>处理结果</dt><dd>${esc(OUTCOMES[o.outcome ?? ""] ?? "")}</dd>
<dt>处理情况</dt><dd>${esc(o.resolution ?? "")}</dd>
<dt>办结日期</dt><dd>${o.resolvedOn ? chineseDate(o.resolvedOn) : ""}</dd>`
    : ""
}
</dl>`
    : problem
      ? `<p>${esc(problem)}</p>`
      : "<p>请输入提交异议时得到的回执号。</p>";
  return page(
    "异议办理情况",
    `<section class="sheet"><h1>异议办理情况</h1>${facts}${lookupForm(receipt)}</section>`,
  );
}

/** One batch for printing (staff). */
export function printPage(batch: NoticeBatchView): string {
  return page(batch.title, sheet(batch, false));
}

/** A short page after a form was sent, or when something went wrong. */
export function messagePage(title: string, message: string, back?: string): string {
  return page(
    title,
    `<section class="sheet"><h1>${esc(title)}</h1><p>${esc(message)}</p>${back ? `<p class="no-print"><a href="${esc(back)}">返回公示</a></p>` : ""}</section>`,
  );
}
