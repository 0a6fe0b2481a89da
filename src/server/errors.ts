/** The one place where errors become HTTP responses: `{error:{kind,message,code?,field?}}`. */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError, type ErrorKind } from "../core/errors.ts";

export const STATUS: Record<ErrorKind, number> = {
  invalid_data: 400,
  not_allowed: 403,
  not_found: 404,
  conflict: 409,
  unexpected_state: 409,
};

export interface ErrorBody {
  error: {
    kind: ErrorKind;
    message: string;
    code?: string;
    field?: string;
    /** Why a case (or a batch) was refused: the same list the CLI prints as `error.reasons`. */
    reasons?: string[];
    detail?: Record<string, unknown>;
  };
}

/** The reasons a refusal carries in its detail, when it carries a list of them. */
function reasonsOf(e: AppError): string[] | undefined {
  const reasons = e.detail?.reasons;
  return Array.isArray(reasons) && reasons.every((r) => typeof r === "string")
    ? reasons
    : undefined;
}

export function toErrorBody(e: AppError): ErrorBody {
  return {
    error: {
      kind: e.kind,
      message: e.message,
      ...(e.code ? { code: e.code } : {}),
      ...(e.field ? { field: e.field } : {}),
      ...(reasonsOf(e) ? { reasons: reasonsOf(e) } : {}),
      ...(e.detail ? { detail: e.detail } : {}),
    },
  };
}

export function errorHandler(
  err: FastifyError | AppError | Error,
  req: FastifyRequest,
  reply: FastifyReply,
) {
  if (err instanceof AppError) {
    const status = err.code === "not_signed_in" ? 401 : STATUS[err.kind];
    return reply.code(status).send(toErrorBody(err));
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issue = err.validation[0];
    const where = err.validationContext === "body" ? "" : `${err.validationContext}.`;
    const path = issue?.instancePath.replace(/^\//, "").replaceAll("/", ".") ?? "";
    return reply.code(400).send({
      error: {
        kind: "invalid_data",
        message: issue ? `${path ? `${path}：` : ""}${issue.message}` : "请求格式不正确",
        code: "request_invalid",
        ...(path || where ? { field: `${where}${path}`.replace(/\.$/, "") } : {}),
      },
    } satisfies ErrorBody);
  }
  const status = (err as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) {
    return reply.code(status).send({
      error: {
        kind: status === 404 ? "not_found" : "invalid_data",
        message: err.message,
        code: (err as FastifyError).code,
      },
    });
  }
  req.log.error(err);
  if (process.env.FANGPIN_DEBUG_ERRORS) console.error(err);
  return reply.code(500).send({
    error: {
      kind: "unexpected_state",
      message: "服务器内部错误，请稍后重试或联系管理员",
      code: "internal",
    },
  });
}
