// The HTTP side of kube-scheduler's extender calls: POST <prefix>/filter and <prefix>/prioritize
// with ExtenderArgs JSON, 5 s timeout (kube-scheduler's default httpTimeout), any non-200 is an error.
import { context, propagation } from "@opentelemetry/api";
import { decodeFilterResult, decodePrioritizeResult, extenderArgs, type FilterAnswer, type PodObject } from "./kube-objects.js";

export const EXTENDER_HTTP_TIMEOUT_MS = 5000;

async function post(url: string, body: unknown): Promise<unknown> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  // kube-scheduler sends no trace context; the runner does, so filter and prioritize of one pod are one trace.
  propagation.inject(context.active(), headers);
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(EXTENDER_HTTP_TIMEOUT_MS) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${url}: answer is not JSON: ${text.slice(0, 200)}`);
  }
}

export interface ExtenderClient {
  filter(pod: PodObject, nodeNames: readonly string[]): Promise<FilterAnswer>;
  prioritize(pod: PodObject, nodeNames: readonly string[]): Promise<Map<string, number>>;
}

/** `baseUrl` is the extender's urlPrefix, e.g. http://127.0.0.1:8888/overseer. */
export function createExtenderClient(baseUrl: string): ExtenderClient {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    filter: async (pod, names) => {
      const answer = decodeFilterResult(await post(`${base}/filter`, extenderArgs(pod, names)));
      if (answer.error !== "") throw new Error(`filter answered Error: ${answer.error}`);
      return answer;
    },
    prioritize: async (pod, names) => decodePrioritizeResult(await post(`${base}/prioritize`, extenderArgs(pod, names))),
  };
}
