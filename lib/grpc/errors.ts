// Typed errors thrown inside services, mapped to gRPC status codes in one place.
import * as grpc from "@grpc/grpc-js";

export class ServiceError extends Error {
  constructor(
    message: string,
    readonly code: grpc.status,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class InvalidArgumentError extends ServiceError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message, grpc.status.INVALID_ARGUMENT);
  }
}
export class FailedPreconditionError extends ServiceError {
  constructor(message: string) {
    super(message, grpc.status.FAILED_PRECONDITION);
  }
}
export class NotFoundError extends ServiceError {
  constructor(message: string) {
    super(message, grpc.status.NOT_FOUND);
  }
}
export class UnavailableError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, grpc.status.UNAVAILABLE, options);
  }
}
export class ResourceExhaustedError extends ServiceError {
  constructor(message: string) {
    super(message, grpc.status.RESOURCE_EXHAUSTED);
  }
}

/** The status a thrown value becomes at the edge. */
export function toGrpcError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof ServiceError) return { code: err.code, details: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: grpc.status.INTERNAL, details: `internal error: ${message}` };
}

type UnaryHandler<Req, Res> = (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res;

/** Wraps an async handler into a grpc-js unary handler; thrown errors become statuses. */
export function unary<Req, Res>(handler: UnaryHandler<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handler(call.request, call))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(toGrpcError(err) as grpc.ServiceError, null),
      );
  };
}
