/** Text of the API-token page, zh-CN first; `useTokensText()` follows the language. */
import { useI18n } from "../../i18n/i18n.tsx";

export const tokensZh = {
  menu: "接口令牌",
  title: "接口令牌",
  intro:
    "为行业部门的机器签发接口令牌：部门系统凭令牌通过接口上传指定类型的部门数据（每月的医保结算、残联名单等），令牌不能做别的事。完整令牌只在签发时显示一次，系统只保存其摘要；遗失或人员变动时请吊销并重新签发。",
  create: "签发令牌",
  name: "名称",
  namePlaceholder: "如：县医保局月报上传",
  department: "部门",
  departmentHint: "留空则按数据类型填写所属部门",
  feedTypes: "可上传的数据类型",
  region: "数据范围（区划代码）",
  regionHint: "上传的数据只与该区划内的在册成员比对",
  expiresOn: "有效期至",
  prefix: "令牌前缀",
  createdBy: "签发人",
  createdAt: "签发时间",
  lastUsed: "最近使用",
  never: "从未使用",
  status: "状态",
  statuses: { active: "有效", expired: "已过期", revoked: "已吊销" } as Record<string, string>,
  revoke: "吊销",
  revokeConfirm: "吊销后该令牌立即失效，部门系统将无法再上传。确定吊销？",
  revoked: "已吊销",
  createdTitle: "令牌已签发",
  createdWarning: "完整令牌只显示这一次，关闭后无法再查看。请立即复制并交给部门妥善保存。",
  usage: "部门系统上传示例：",
  done: "我已保存",
  required: "必填",
};
export type TokensText = typeof tokensZh;

export const tokensEn: TokensText = {
  menu: "API tokens",
  title: "API tokens",
  intro:
    "Issue API tokens to department machines: with a token, a department's system uploads its feed files (monthly medical settlements, disability lists…) through the API, and can do nothing else. The whole token is shown once, when issued; only its digest is kept. Revoke and reissue it when lost or when staff change.",
  create: "Issue token",
  name: "Name",
  namePlaceholder: "e.g. County medical insurance monthly upload",
  department: "Department",
  departmentHint: "Leave empty to use the feed types' department",
  feedTypes: "Feed types it may upload",
  region: "Region (code)",
  regionHint: "Uploaded rows are matched only to members registered in this region",
  expiresOn: "Valid until",
  prefix: "Prefix",
  createdBy: "Issued by",
  createdAt: "Issued at",
  lastUsed: "Last used",
  never: "Never",
  status: "Status",
  statuses: { active: "Active", expired: "Expired", revoked: "Revoked" },
  revoke: "Revoke",
  revokeConfirm:
    "A revoked token stops working at once; the department's system can no longer upload. Revoke it?",
  revoked: "Revoked",
  createdTitle: "Token issued",
  createdWarning:
    "The whole token is shown this once only. Copy it now and hand it to the department to keep safe.",
  usage: "How the department's system uploads:",
  done: "I have saved it",
  required: "Required",
};

export function useTokensText(): TokensText {
  const { lang } = useI18n();
  return lang === "en" ? tokensEn : tokensZh;
}
