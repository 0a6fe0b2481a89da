/** Fastify assembly: schemas, OpenAPI, auth, module routes, the web client. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyCookie from "@fastify/cookie";
import fastifyStatic from "@fastify/static";
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance } from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from "fastify-type-provider-zod";
import type { Database } from "../db/connect.ts";
import { registerAssistanceRoutes } from "../modules/assistance/index.ts";
import { registerAuthRoutes } from "../modules/auth/index.ts";
import {
  type FileStore,
  registerCasesRoutes,
  registerNoticeRoutes,
} from "../modules/cases/index.ts";
import { registerDuplicatesRoutes } from "../modules/duplicates/index.ts";
import { registerExchangeRoutes } from "../modules/exchange/index.ts";
import { registerFeedsRoutes } from "../modules/feeds/index.ts";
import { registerMonitoringRoutes, registerPreviewRoutes } from "../modules/monitoring/index.ts";
import { registerPolicyRoutes } from "../modules/monitoring/policy.routes.ts";
import { registerPolicyVersionRoutes } from "../modules/policy/index.ts";
import { registerRegionRoutes } from "../modules/regions/index.ts";
import { registerRegistryRoutes } from "../modules/registry/index.ts";
import { registerAuth } from "./auth-plugin.ts";
import { errorHandler } from "./errors.ts";
import { type RateLimitOptions, registerRateLimits } from "./rate-limit.ts";
import { createServices, type Services } from "./services.ts";

export const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../web/dist");

export interface AppOptions {
  database: Database;
  now?: () => Date;
  logger?: boolean;
  /** Folder of the built web client; served at / when it exists. */
  webRoot?: string;
  /** Where case attachments are kept (default: data/files). */
  files?: FileStore;
  /** Limits on login failures and the public forms (default RATE_LIMITS, real time). */
  rateLimits?: RateLimitOptions;
}

export interface RouteInfo {
  method: string;
  url: string;
}

export async function buildApp(
  options: AppOptions,
): Promise<{ app: FastifyInstance; services: Services; routes: RouteInfo[] }> {
  const services = createServices({
    database: options.database,
    now: options.now,
    ...(options.files ? { files: options.files } : {}),
  });
  await services.policyVersions.refresh();
  const app = Fastify({
    logger: options.logger ? { level: "info" } : false,
    bodyLimit: 64 * 1024 * 1024,
    routerOptions: { maxParamLength: 200 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  // Every route, so that tests can walk all of them (the scope test does) rather than a list.
  const routes: RouteInfo[] = [];
  app.addHook("onRoute", (r) => {
    for (const method of [r.method].flat())
      if (method !== "HEAD") routes.push({ method, url: r.url });
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: "fangpin API", description: "防贫监测与帮扶系统接口", version: "0.1.0" },
      components: {
        securitySchemes: {
          session: { type: "apiKey", in: "cookie", name: "fangpin_session" },
          // Department machines: only POST /api/feeds/{type}/loads (docs/formats/feeds.md).
          apiToken: { type: "http", scheme: "bearer" },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/api/docs" });
  await app.register(fastifyCookie);
  registerRateLimits(app, options.rateLimits);
  registerAuth(app, services);

  app.get("/api/health", async () => ({ status: "ok" }));
  await app.register(async (api) => {
    registerAuthRoutes(api, services);
    registerRegionRoutes(api, services);
    registerRegistryRoutes(api, services);
    registerMonitoringRoutes(api, services);
    registerPolicyVersionRoutes(api, services);
    registerPolicyRoutes(api, services, options.now);
    registerPreviewRoutes(api, services);
    registerExchangeRoutes(api, services);
    registerFeedsRoutes(api, services);
    registerDuplicatesRoutes(api, services);
    registerCasesRoutes(api, services);
    registerAssistanceRoutes(api, services);
  });
  // Public, without sign-in: a village's notices and the objection form.
  registerNoticeRoutes(app, services);

  const webRoot = options.webRoot ?? WEB_ROOT;
  if (existsSync(join(webRoot, "index.html"))) {
    // wildcard: files are looked up per request, so a rebuild while the server runs is served.
    await app.register(fastifyStatic, { root: webRoot, wildcard: true });
    app.setNotFoundHandler((req, reply) => {
      if (req.method === "GET" && !req.url.startsWith("/api/")) return reply.sendFile("index.html");
      return reply.code(404).send({
        error: {
          kind: "not_found",
          message: `没有这个接口：${req.method} ${req.url}`,
          code: "route_not_found",
        },
      });
    });
  } else {
    app.setNotFoundHandler((req, reply) =>
      reply.code(404).send({
        error: {
          kind: "not_found",
          message: `没有这个接口：${req.method} ${req.url}`,
          code: "route_not_found",
        },
      }),
    );
  }
  return { app, services, routes };
}
