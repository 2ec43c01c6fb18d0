/**
 * The one error hierarchy of the project. Every error a handler can meet is (or is wrapped
 * into) an {@link AppError}; the HTTP layer turns it into a response. Only errors below 500
 * expose their message and details to the client.
 */

/** One problem with one field of the input. `path` uses dots and indexes: `events.3.utm.source`. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export interface AppErrorOptions {
  readonly cause?: unknown;
  readonly issues?: readonly FieldIssue[];
}

export class AppError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly issues: readonly FieldIssue[];

  constructor(statusCode: number, code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.statusCode = statusCode;
    this.code = code;
    this.issues = options.issues ?? [];
  }

  /** Whether the client may see the message and issues (never for server faults). */
  get expose(): boolean {
    return this.statusCode < 500;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(400, 'validation_error', message, options);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'a valid API key is required', options: AppErrorOptions = {}) {
    super(401, 'unauthorized', message, options);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(403, 'forbidden', message, options);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(404, 'not_found', message, options);
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(405, 'method_not_allowed', message, options);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(413, 'payload_too_large', message, options);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(415, 'unsupported_media_type', message, options);
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message = 'storage is unavailable, retry later', options: AppErrorOptions = {}) {
    super(503, 'service_unavailable', message, options);
  }
}

export class InternalError extends AppError {
  constructor(message: string, options: AppErrorOptions = {}) {
    super(500, 'internal_error', message, options);
  }
}
