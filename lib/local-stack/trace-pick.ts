// Picks, among the run's decision traces, the first one that Jaeger holds with spans of a given
// service (regime-svc: a decision that classified a fresh NodeState inline), so the summary points
// at a trace that shows the whole path extender -> scorer-svc -> regime-svc.
import { untraced } from "./untraced.js";

interface JaegerTraceDoc {
  data?: { processes?: Record<string, { serviceName?: string }> }[];
}

export interface TracePickOptions {
  /** Traces looked at, in order (each is one HTTP GET to Jaeger's query API). */
  maxTraces?: number;
  timeoutMs?: number;
}

/** The first of `traceIds` whose trace includes `service`; undefined when none does (or Jaeger does not answer). */
export async function firstTraceWithService(queryUrl: string, traceIds: readonly string[], service: string, o: TracePickOptions = {}): Promise<string | undefined> {
  for (const id of traceIds.slice(0, o.maxTraces ?? 20)) {
    const doc = await untraced(() => fetch(`${queryUrl}/api/traces/${id}`, { signal: AbortSignal.timeout(o.timeoutMs ?? 3000) }))
      .then((r) => (r.ok ? (r.json() as Promise<JaegerTraceDoc>) : undefined))
      .catch(() => undefined);
    const processes = doc?.data?.[0]?.processes ?? {};
    if (Object.values(processes).some((p) => p.serviceName === service)) return id;
  }
  return undefined;
}
