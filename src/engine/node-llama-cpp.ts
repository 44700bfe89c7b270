// Where node-llama-cpp comes from: node_modules when run from source, libexec/ beside the binary
// when compiled. Its native addon and llama.cpp libraries cannot live inside a `bun build
// --compile` executable, and it reads files beside its own package at run time, so the binary
// imports it from a real directory by absolute file URL.
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as NodeLlamaCpp from "node-llama-cpp";

export type NodeLlamaCppModule = typeof NodeLlamaCpp;

/** Defined as `true` by scripts/build when compiling the binary; undefined from source. */
declare const OSERVE_COMPILED: boolean | undefined;

const ENTRY = ["node_modules", "node-llama-cpp", "dist", "index.js"];

const compiled = typeof OSERVE_COMPILED !== "undefined" && OSERVE_COMPILED;

export async function importNodeLlamaCpp(): Promise<NodeLlamaCppModule> {
  if (!compiled) return import("node-llama-cpp");
  // realpath: the binary is often started through a symlink (Homebrew's bin/ links into the keg).
  const binDir = dirname(realpathSync(process.execPath));
  const candidates = [join(binDir, "libexec", ...ENTRY), join(binDir, "..", "libexec", ...ENTRY)];
  const entry = candidates.find((path) => existsSync(path));
  if (!entry) throw new Error(`node-llama-cpp is missing beside this binary; looked for ${candidates.join(" and ")}`);
  return import(pathToFileURL(entry).href);
}

/**
 * node-llama-cpp tests its native binary in a child process, `fork(its own test script)`, which in
 * the compiled binary starts this executable again with that script as argument. Returns true when
 * this process is that child, once the script has been handed over (it answers over IPC).
 */
export async function runAsForkedScript(): Promise<boolean> {
  if (!compiled || process.env.TEST_BINDING_CP !== "true") return false;
  const script = process.argv.slice(1).find((arg) => arg.endsWith(".js") && existsSync(arg));
  if (!script) return false;
  await import(pathToFileURL(script).href);
  return true;
}
