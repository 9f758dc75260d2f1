// One-line JSON logs on stderr for the model-serving services.
import type { LogFn } from "./bundle-holder.js";

export function jsonLog(service: string, write: (line: string) => void = (l) => process.stderr.write(l)): LogFn {
  return (level, msg, fields) => write(JSON.stringify({ time: new Date().toISOString(), level, service, msg, ...fields }) + "\n");
}
