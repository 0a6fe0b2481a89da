/**
 * The one error type of fangpin. Its kind decides the HTTP status and the CLI exit code
 * (mapped once each, in server/errors.ts and cli/output.ts); the message is for people and
 * is written in Chinese, the code is stable for programs.
 */
export type ErrorKind =
  | "invalid_data"
  | "not_found"
  | "not_allowed"
  | "conflict"
  | "unexpected_state";

export interface AppErrorOptions {
  /** The input field at fault, as the caller named it (`members[2].idNumber`). */
  field?: string;
  /** A stable, snake_case identifier of the problem (`id_number_check_char`). */
  code?: string;
  /** Extra machine-readable detail (current version on a conflict, row numbers…). */
  detail?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly field: string | undefined;
  readonly code: string | undefined;
  readonly detail: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.kind = kind;
    this.field = options.field;
    this.code = options.code;
    this.detail = options.detail;
  }
}

export const invalid = (message: string, options?: AppErrorOptions) =>
  new AppError("invalid_data", message, options);
export const notFound = (message: string, options?: AppErrorOptions) =>
  new AppError("not_found", message, options);
export const notAllowed = (message: string, options?: AppErrorOptions) =>
  new AppError("not_allowed", message, options);
export const conflict = (message: string, options?: AppErrorOptions) =>
  new AppError("conflict", message, options);
export const unexpectedState = (message: string, options?: AppErrorOptions) =>
  new AppError("unexpected_state", message, options);

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
