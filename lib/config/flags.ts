// Flags and environment variables read once at start-up into a typed object.
// A bad value stops the process with a message naming the flag, before anything listens.

export type FlagType = "string" | "int" | "float" | "bool" | "duration";

type ValueOf<T extends FlagType> = T extends "string" ? string : T extends "bool" ? boolean : number;

export interface FlagSpec<T extends FlagType = FlagType> {
  name: string;
  type: T;
  help: string;
  env?: string;
  default?: ValueOf<T>;
  /** Returns an error message, or undefined when the value is fine. */
  validate?: (value: ValueOf<T>) => string | undefined;
}

export type FlagSpecs = Record<string, FlagSpec>;
/** The parsed config: durations in milliseconds. Flags without default and not given are undefined. */
export type ParsedFlags<S extends FlagSpecs> = { [K in keyof S]: ValueOf<S[K]["type"]> } & { help: boolean };

export class ConfigError extends Error {}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "5s", "1.5m", "2h" -> milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new ConfigError(`"${text}" is not a duration (use e.g. 500ms, 5s, 1m)`);
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

function convert(spec: FlagSpec, raw: string, from: string): string | number | boolean {
  switch (spec.type) {
    case "string":
      return raw;
    case "bool":
      if (["true", "1", "yes", ""].includes(raw)) return true;
      if (["false", "0", "no"].includes(raw)) return false;
      throw new ConfigError(`${from}: "${raw}" is not a boolean`);
    case "int": {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${from}: "${raw}" is not an integer`);
      return Number(raw);
    }
    case "float": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw new ConfigError(`${from}: "${raw}" is not a finite number`);
      return n;
    }
    case "duration":
      try {
        return parseDurationMs(raw);
      } catch (e) {
        throw new ConfigError(`${from}: ${(e as Error).message}`);
      }
  }
}

/** Parses `--name value`, `--name=value` and `--flag` (bools); env vars fill what flags leave out. */
export function parseFlags<S extends FlagSpecs>(argv: readonly string[], env: NodeJS.ProcessEnv, specs: S): ParsedFlags<S> {
  const byFlag = new Map<string, [string, FlagSpec]>(Object.entries(specs).map(([k, s]) => [s.name, [k, s]]));
  const given = new Map<string, { raw: string; from: string }>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--")) throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const entry = byFlag.get(name);
    if (!entry) throw new ConfigError(`unknown flag --${name} (see --help)`);
    const [key, spec] = entry;
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (spec.type === "bool" && (i + 1 >= argv.length || argv[i + 1]!.startsWith("--"))) raw = "true";
    else {
      if (i + 1 >= argv.length) throw new ConfigError(`--${name} needs a value`);
      raw = argv[++i]!;
    }
    given.set(key, { raw, from: `--${name}` });
  }
  const out: Record<string, unknown> = { help };
  for (const [key, spec] of Object.entries(specs)) {
    let value: unknown = spec.default;
    const g = given.get(key) ?? (spec.env && env[spec.env] !== undefined ? { raw: env[spec.env]!, from: spec.env } : undefined);
    if (g) value = convert(spec, g.raw, g.from);
    if (value !== undefined && spec.validate) {
      const problem = (spec.validate as (v: unknown) => string | undefined)(value);
      if (problem) throw new ConfigError(`--${spec.name}${g && g.from !== `--${spec.name}` ? ` (${g.from})` : ""}: ${problem}`);
    }
    out[key] = value;
  }
  return out as ParsedFlags<S>;
}

export function formatHelp(program: string, summary: string, specs: FlagSpecs): string {
  const lines = [`usage: ${program} [flags]`, "", summary, "", "flags:"];
  for (const s of Object.values(specs)) {
    const def = s.default === undefined ? "" : ` (default ${String(s.default)}${s.type === "duration" ? "ms" : ""})`;
    const env = s.env ? ` [env ${s.env}]` : "";
    lines.push(`  --${s.name} <${s.type}>${def}${env}`, `      ${s.help}`);
  }
  return lines.join("\n") + "\n";
}

/** For main.ts: parse or exit(2) with the message; print help and exit(0) on --help. */
export function loadConfigOrExit<S extends FlagSpecs>(program: string, summary: string, specs: S, argv = process.argv.slice(2)): ParsedFlags<S> {
  try {
    const cfg = parseFlags(argv, process.env, specs);
    if (cfg.help) {
      process.stdout.write(formatHelp(program, summary, specs));
      process.exit(0);
    }
    return cfg;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${program}: configuration error: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

/** Validators. */
export const positive = (v: number) => (v > 0 ? undefined : "must be > 0");
export const nonNegative = (v: number) => (v >= 0 ? undefined : "must be >= 0");
export const portRange = (v: number) => (v >= 0 && v <= 65535 ? undefined : "must be a port 0..65535");
/** host:port or [ipv6]:port. */
export const hostPort = (v: string) => (/^[^\s:]+:\d{1,5}$/.test(v) || /^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(v) ? undefined : "must be host:port");
/** Empty (the feature is off) or host:port. */
export const optionalHostPort = (v: string) => (v === "" ? undefined : hostPort(v));
