import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorOf } from "../../server/auth-plugin.ts";
import type { Services } from "../../server/services.ts";
import {
  addMemberInput,
  createHouseholdInput,
  detailQuery,
  historyEntry,
  householdDetail,
  householdList,
  householdListQuery,
  removeMemberInput,
  updateHouseholdInput,
  updateMemberInput,
} from "./registry.schema.ts";

const householdParams = z.object({ householdNumber: z.string().min(1).max(40) });
const memberParams = householdParams.extend({ memberId: z.coerce.number().int().positive() });
const changeHeadInput = z.object({
  version: z.number().int().min(1),
  memberId: z.number().int().positive(),
  formerHeadRelationship: z.string().trim().min(1, "请填写原户主与新户主的关系").max(20),
  reason: z.string().trim().max(500).optional(),
});
const ui = { source: "ui" } as const;
const unmasked = (v: string | undefined) => v === "1" || v === "true";

export function registerRegistryRoutes(app: FastifyInstance, services: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const registry = services.registry;
  const tags = ["registry"];

  r.get(
    "/api/households",
    {
      schema: {
        tags,
        summary: "户列表（限本人辖区，按 id 翻页）",
        querystring: householdListQuery,
        response: { 200: householdList },
      },
    },
    async (req) => registry.list(actorOf(req), req.query),
  );

  r.post(
    "/api/households",
    {
      schema: {
        tags,
        summary: "新建户",
        body: createHouseholdInput,
        response: { 200: householdDetail },
      },
    },
    async (req) => registry.create(actorOf(req), req.body, { ...ui, reason: req.body.reason }),
  );

  r.get(
    "/api/households/:householdNumber",
    {
      schema: {
        tags,
        summary: "户详情（含成员；敏感信息默认脱敏）",
        params: householdParams,
        querystring: detailQuery,
        response: { 200: householdDetail },
      },
    },
    async (req) =>
      registry.get(actorOf(req), req.params.householdNumber, {
        unmask: unmasked(req.query.unmask),
        asOf: req.query.asOf,
      }),
  );

  r.get(
    "/api/households/:householdNumber/history",
    {
      schema: {
        tags,
        summary: "户的变更历史（新到旧）",
        params: householdParams,
        querystring: detailQuery.pick({ unmask: true }),
        response: { 200: z.object({ items: z.array(historyEntry) }) },
      },
    },
    async (req) => ({
      items: await registry.history(actorOf(req), req.params.householdNumber, {
        unmask: unmasked(req.query.unmask),
      }),
    }),
  );

  r.patch(
    "/api/households/:householdNumber",
    {
      schema: {
        tags,
        summary: "修改户信息",
        params: householdParams,
        body: updateHouseholdInput,
        response: { 200: householdDetail },
      },
    },
    async (req) => registry.update(actorOf(req), req.params.householdNumber, req.body, ui),
  );

  r.post(
    "/api/households/:householdNumber/members",
    {
      schema: {
        tags,
        summary: "新增成员",
        params: householdParams,
        body: addMemberInput,
        response: { 200: householdDetail },
      },
    },
    async (req) => registry.addMember(actorOf(req), req.params.householdNumber, req.body, ui),
  );

  r.patch(
    "/api/households/:householdNumber/members/:memberId",
    {
      schema: {
        tags,
        summary: "修改成员信息",
        params: memberParams,
        body: updateMemberInput,
        response: { 200: householdDetail },
      },
    },
    async (req) =>
      registry.updateMember(
        actorOf(req),
        req.params.householdNumber,
        req.params.memberId,
        req.body,
        ui,
      ),
  );

  r.post(
    "/api/households/:householdNumber/members/:memberId/remove",
    {
      schema: {
        tags,
        summary: "减少成员（死亡、迁出等）",
        params: memberParams,
        body: removeMemberInput,
        response: { 200: householdDetail },
      },
    },
    async (req) =>
      registry.removeMember(
        actorOf(req),
        req.params.householdNumber,
        req.params.memberId,
        req.body,
        ui,
      ),
  );

  r.post(
    "/api/households/:householdNumber/head",
    {
      schema: {
        tags,
        summary: "变更户主",
        params: householdParams,
        body: changeHeadInput,
        response: { 200: householdDetail },
      },
    },
    async (req) => registry.changeHead(actorOf(req), req.params.householdNumber, req.body, ui),
  );
}
