// PURE: a setting's text read as what it means (a number, a size, on/off, one of a list), or a
// ConfigError that names the flag and the value.
import { ConfigError } from "./errors.ts";

export function onOff(flag: string, raw: string | undefined): boolean {
  if (raw === "on" || raw === "off") return raw === "on";
  throw new ConfigError(`--${flag} must be on or off, not '${raw}'`);
}

export function oneOf<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[]): T {
  if (allowed.includes(raw as T)) return raw as T;
  throw new ConfigError(`--${flag} must be one of ${allowed.join(", ")}, not '${raw}'`);
}

export function number(flag: string, raw: string | undefined, { min, max = Infinity }: { min: number; max?: number }): number {
  const parsed = Number(raw);
  if (raw === undefined || !Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(`--${flag} must be a number ${max < Infinity ? `from ${min} to ${max}` : `of at least ${min}`}, not '${raw}'`);
  }
  return parsed;
}

export function integer(flag: string, raw: string | undefined, { min, max = Number.MAX_SAFE_INTEGER }: { min: number; max?: number }): number {
  const parsed = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || parsed < min || parsed > max) {
    throw new ConfigError(`--${flag} must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}, not '${raw}'`);
  }
  return parsed;
}

const UNIT_BYTES: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `10mb`, `512KB`, `1.5m`, `1048576` → bytes. */
export function byteSize(flag: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(raw);
  const bytes = match ? Math.floor(Number(match[1]) * (UNIT_BYTES[(match[2] ?? "").toLowerCase()] ?? NaN)) : NaN;
  if (!Number.isFinite(bytes) || bytes < 1) throw new ConfigError(`--${flag} must be a size such as 10mb, 512kb or 1048576, not '${raw}'`);
  return bytes;
}

/** A comma-separated list, each item trimmed, blanks dropped. */
export function list(raw: string | undefined): string[] {
  return (raw ?? "").split(",").map((item) => item.trim()).filter(Boolean);
}
