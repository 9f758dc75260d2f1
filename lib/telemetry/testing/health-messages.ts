// grpc.health.v1 HealthCheckRequest/Response wire codecs (field 1 only), for test fixtures.
export const HealthCheckRequest = {
  encode(req: { service: string }): Buffer {
    const name = Buffer.from(req.service, "utf8");
    if (name.length === 0) return Buffer.alloc(0);
    if (name.length > 127) throw new Error("service name too long for this fixture codec");
    return Buffer.concat([Buffer.from([0x0a, name.length]), name]);
  },
};

export const HealthCheckResponse = {
  /** status: 0 UNKNOWN, 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN. */
  decode(buf: Buffer): { status: number } {
    return { status: buf.length >= 2 && buf[0] === 0x08 ? buf[1]! : 0 };
  },
};
