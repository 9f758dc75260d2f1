// Typed request errors of the extender, mapped to HTTP statuses in one place (http.ts).

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 400: the body is not a valid ExtenderArgs document. */
export class BadRequestError extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, message, options);
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, message);
  }
}

export class MethodNotAllowedError extends HttpError {
  constructor(readonly allow: string) {
    super(405, `method not allowed (use ${allow})`);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limitBytes: number) {
    super(413, `request body exceeds ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor(got: string | undefined) {
    super(415, `content-type must be application/json (got ${got === undefined ? "none" : JSON.stringify(got)})`);
  }
}

/** 503: scorer-svc unusable and --on-backend-error=error (kube-scheduler's `ignorable` decides). */
export class BackendUnavailableError extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, message, options);
  }
}
