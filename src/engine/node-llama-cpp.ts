// Where node-llama-cpp comes from: node_modules when run from source, libexec/ beside the binary
// when compiled. Its native addon and llama.cpp libraries cannot live inside a `bun build
// --compile` executable, and it reads files beside its own package at run time, so the binary
// imports it from a real directory by absolute file URL. In both places the package's JavaScript is
// one file, dist/oserve-bundle.js (scripts/bundle-node-llama-cpp.ts: a third of the import's time),
// made when it is patched; dist/index.js where it is missing.
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type * as NodeLlamaCpp from "node-llama-cpp";

export type NodeLlamaCppModule = typeof NodeLlamaCpp;

/** Defined as `true` by scripts/build when compiling the binary; undefined from source. */
declare const OSERVE_COMPILED: boolean | undefined;

const PACKAGE = ["node_modules", "node-llama-cpp"];
/** node-llama-cpp's JavaScript as one file, in its dist/ (scripts/bundle-node-llama-cpp.ts writes it). */
export const BUNDLE_FILE = "oserve-bundle.js";

const compiled = typeof OSERVE_COMPILED !== "undefined" && OSERVE_COMPILED;

let imported: Promise<NodeLlamaCppModule> | undefined;

/** node-llama-cpp's module, imported once. */
export function importNodeLlamaCpp(): Promise<NodeLlamaCppModule> {
  imported ??= importOnce();
  imported.catch(() => (imported = undefined));
  return imported;
}

async function importOnce(): Promise<NodeLlamaCppModule> {
  if (!compiled) {
    const bundle = bundleBeside(import.meta.resolve("node-llama-cpp"));
    return bundle ? import(pathToFileURL(bundle).href) : import("node-llama-cpp");
  }
  const entry = compiledPackages()
    .flatMap((dir) => [join(dir, "dist", BUNDLE_FILE), join(dir, "dist", "index.js")])
    .find((path) => existsSync(path));
  if (!entry) throw new Error(`node-llama-cpp is missing beside this binary; looked in ${compiledPackages().join(" and ")}`);
  return import(pathToFileURL(entry).href);
}

/** Where the compiled binary looks for node-llama-cpp: libexec/ beside it, or beside its bin/ (a Homebrew keg). */
function compiledPackages(): string[] {
  // realpath: the binary is often started through a symlink (Homebrew's bin/ links into the keg).
  const binDir = dirname(realpathSync(process.execPath));
  return [join(binDir, "libexec", ...PACKAGE), join(binDir, "..", "libexec", ...PACKAGE)];
}

/** A file node-llama-cpp's package ships (`llama/grammars/json.gbnf`), by its path in the package; null where it is not there. */
export function packageFile(relative: string): string | null {
  let dirs: string[];
  if (compiled) dirs = compiledPackages();
  else {
    const entry = import.meta.resolve("node-llama-cpp");
    if (!entry.startsWith("file:")) return null;
    dirs = [join(dirname(fileURLToPath(entry)), "..")];
  }
  return dirs.map((dir) => join(dir, relative)).find((path) => existsSync(path)) ?? null;
}

/** The bundle beside the package's entry (a file: URL; Deno may resolve to another kind), if it is there. */
function bundleBeside(entry: string): string | null {
  if (!entry.startsWith("file:")) return null;
  const bundle = join(dirname(fileURLToPath(entry)), BUNDLE_FILE);
  return existsSync(bundle) ? bundle : null;
}
