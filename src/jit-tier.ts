// On Node, V8's optimizing compiler (TurboFan) stays off; its baseline compiler (Sparkplug) runs
// oserve's JavaScript.
//
// Why: oserve's JavaScript is glue around native work (decode, sampling, tokenizing, socket writes
// are all C++), and its per-token path spends its time in V8 builtins (promises, generators) that
// no tier compiles. TurboFan bought no steady-state speed here, and its compiles (some 250
// functions over the first few thousand tokens, milliseconds each, on a background thread) took
// CPU from the decode threads whenever they used every core, as they do by default: a fresh server
// ran its first thousand tokens ~25% slower than later ones. Measured in docs/benchmarks.md.
import { setFlagsFromString } from "node:v8";

/** Caps V8 at its baseline tier, on Node only, unless the process was started with its own `--max-opt`. */
export function capJitTier(runtime = process, execArgv = process.execArgv): boolean {
  const onNode = !runtime.versions.bun && !("Deno" in globalThis) && runtime.versions.v8 !== undefined;
  if (!onNode || execArgv.some((arg) => arg.startsWith("--max-opt"))) return false;
  setFlagsFromString("--max-opt=1");
  return true;
}
