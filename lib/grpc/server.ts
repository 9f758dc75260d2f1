// Starts a grpc-js server with the given services, server reflection and the standard health service.
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { reflectionIndex } from "./descriptors.js";
import { DEFAULT_RECEIVE_WINDOWS, checkReceiveWindows, widenReceiveWindows, type ReceiveWindows } from "./receive-windows.js";
import { addReflection } from "./reflection.js";

export interface ServiceRegistration {
  /** Fully qualified name, e.g. "overseer.v1.ScorerService" (the health service key). */
  name: string;
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  address: string;
  services: ServiceRegistration[];
  /** Largest accepted request message (bytes). */
  maxReceiveMessageBytes?: number;
  credentials?: grpc.ServerCredentials;
  /** HTTP/2 receive windows of each connection (receive-windows.ts); default 1 MiB per stream and per connection. */
  receiveWindows?: ReceiveWindows;
}

export interface RunningGrpcServer {
  server: grpc.Server;
  port: number;
  setServing(serviceName: string, serving: boolean): void;
  /** False when grpc-js's HTTP/2 servers could not be reached: connections keep 64 KiB windows. */
  receiveWindowsWidened: boolean;
  shutdown(graceMs?: number): Promise<void>;
}

export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 16 * 1024 * 1024;

export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const windows = opts.receiveWindows ?? DEFAULT_RECEIVE_WINDOWS;
  checkReceiveWindows(windows);
  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    // No channelz service is exposed; its per-call tracking (timestamps, counters) is pure cost.
    "grpc.enable_channelz": 0,
  });
  for (const s of opts.services) server.addService(s.definition, s.implementation);

  const initial: Record<string, "SERVING" | "NOT_SERVING"> = { "": "NOT_SERVING" };
  for (const s of opts.services) initial[s.name] = "NOT_SERVING";
  const health = new HealthImplementation(initial);
  health.addToServer(server);
  addReflection(server, reflectionIndex(), opts.services.map((s) => s.name));

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(opts.address, opts.credentials ?? grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(new Error(`cannot listen on ${opts.address}: ${err.message}`)) : resolve(p),
    );
  });

  const receiveWindowsWidened = widenReceiveWindows(server, windows);

  const serving = new Map<string, boolean>(opts.services.map((s) => [s.name, false]));
  const setServing = (name: string, on: boolean) => {
    health.setStatus(name, on ? "SERVING" : "NOT_SERVING");
    if (name !== "") serving.set(name, on);
    const all = [...serving.values()].every(Boolean);
    health.setStatus("", all ? "SERVING" : "NOT_SERVING");
  };

  const shutdown = (graceMs = 5000) =>
    new Promise<void>((resolve) => {
      for (const name of serving.keys()) health.setStatus(name, "NOT_SERVING");
      health.setStatus("", "NOT_SERVING");
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  return { server, port, setServing, receiveWindowsWidened, shutdown };
}
