import { z } from "zod";

/** Roles of fangpin users; what each may do is in auth.policy.ts. */
export const ROLES = [
  "admin",
  "county",
  "town",
  "village",
  "helper",
  "department",
  "inspector",
  "viewer",
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: "系统管理员",
  county: "县级用户",
  town: "乡镇用户",
  village: "村级用户",
  helper: "帮扶干部",
  department: "行业部门",
  inspector: "督查人员",
  viewer: "只读用户",
};

export const loginInput = z.object({
  /** 用户名 */
  username: z.string().trim().min(1, "请输入用户名").max(60),
  /** 密码 */
  password: z.string().min(1, "请输入密码").max(200),
});

export const userInput = z.object({
  username: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.\-\u4e00-\u9fa5]{2,60}$/, "用户名为 2–60 位字母、数字、汉字或 _ . -"),
  password: z.string().min(8, "密码至少 8 位").max(200),
  role: z.enum(ROLES, { message: `角色应为 ${ROLES.join("、")} 之一` }),
  /** The region subtree the user works in; empty only for admin (nationwide). */
  region: z
    .string()
    .regex(/^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$/, "区划代码应为 2、4、6、9 或 12 位数字")
    .nullable()
    .optional(),
  displayName: z.string().trim().max(60).optional(),
  /** For a department's data officer: the feed types they work with (all when left out). */
  feedTypes: z.array(z.string().trim().min(1)).min(1).max(30).optional(),
});
export type UserInput = z.infer<typeof userInput>;

/** The signed-in user as every service sees it. */
export interface Actor {
  id: number | null;
  username: string;
  displayName: string;
  role: Role;
  /** Root of the region subtree the actor may see; null = everywhere (admin, system). */
  regionCode: string | null;
  /** Set when a department machine calls with an API token: it may only upload these feeds. */
  token?: { id: number; feedTypes: readonly string[] };
  /**
   * Set for a department's data officer bound to some feeds: they load, see and withdraw only
   * these (unset: every feed).
   */
  feedTypes?: readonly string[];
}

/** The actor for work the system does itself (demo load, migrations). */
export const SYSTEM_ACTOR: Actor = {
  id: null,
  username: "system",
  displayName: "系统",
  role: "admin",
  regionCode: null,
};

export const userView = z.object({
  id: z.number(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(ROLES),
  regionCode: z.string().nullable(),
  regionName: z.string().nullable(),
  /** Actions this user may take (the UI shows only these). */
  can: z.array(z.string()),
});
export type UserView = z.infer<typeof userView>;
