// Usage: tsx scripts/patch-node-llama-cpp.ts [--package DIR]   (npm's postinstall runs it: scripts/postinstall.ts)
// Then bundles the patched package into one file (scripts/bundle-node-llama-cpp.ts).
// Applies patches/node-llama-cpp/*.patch to node-llama-cpp (default: this project's node_modules;
// scripts/build passes the copy in dist/libexec). Each patch is a unified diff against the package
// root, for the exact version in patches/node-llama-cpp/VERSION. Idempotent: a patch found already
// applied is left as it is; one that neither applies nor is applied stops with an error, so that a
// node-llama-cpp upgrade cannot silently drop a fix.
// Applied in file name order:
//   1-persistent-threads.patch      the native addon keeps its decode threads (C++: npm run build:engine)
//   2-fair-context-lock.patch       a new request's prompt is not held back until every other stream ends
//   3-sequence-ordered-batch.patch  a decode adds its sequences in ID order, so llama.cpp computes them in one pass
//   4-sample-in-decode.patch        the decode's worker samples each stream's token too (C++ and JS; the JS
//                                   falls back to a sampling job per stream with an addon that does not)
//   6-checkpoint-need-once.patch    whether a sequence needs checkpoints is worked out once, not every decode
//   7-repack-option.patch           loadModel({ repack: false }) is llama-server's --no-repack (C++ and JS; --repack off)
//   8-greedy-argmax.patch           greedy sampling alone takes the highest logit without a candidate per vocabulary
//                                   token (C++; both sampling workers; 4's decode worker calls it)
//   9-logger-callback-replaced.patch  a second Llama instance in a process keeps llama.cpp's logs going to JS (C++)
//   10-trim-after-unload.patch      a model unloaded gives back what glibc kept of its and its contexts' buffers (C++)
//   11-gguf-parse-yields.patch      the JS GGUF reader yields to the event loop within long arrays (a vocabulary), so a
//                                   model loading beside others does not stall their streams (JS)
//   12-jinja-check-once.patch       a chat wrapper resolved again with other settings reuses its Jinja template checks,
//                                   kept per model and through a store (JS)
//   13-gguf-skip-vocabulary.patch   a model's load reads its vocabulary's count, not its 150k texts and merges (JS)
//   14-simulate-on-gpu-only.patch   without a GPU, a load estimates its memory from the GGUF's tensor table instead of
//                                   simulating the model and its context in llama.cpp (JS; some 0.6 s of every load)
//   15-cpu-binaries-untested.patch  the CPU binaries oserve builds or pins (its engine build, the CPU prebuilt) load on
//                                   another Linux without a test in a child process first; a load that fails still
//                                   throws and falls back; GPU binaries are still tested (JS; some 0.3 s)
//   16-load-while-reading.patch     without a GPU, llama.cpp's load of a model starts at once, while the JS reads its GGUF
//                                   (metadata, tensor table, insights) beside it (JS; the read's 0.03-0.1 s)
//   17-oserve-natives.patch         the addon registers oserve's own native functions (native/*.cpp: llama.cpp's chat
//                                   layer) where the engine build compiles them in (C++; -DOSERVE_NATIVES)
//   18-gguf-number-arrays.patch     arrays of 32-bit numbers (a vocabulary's token types) read in one pass (JS;
//                                   with 13, some 0.6 s of a load)
//   19-sampler-config-once.patch    a sampler config that cannot change is resolved and applied once a generation, not
//                                   every token; a clock seed is taken once a generation (JS)
//   20-jinja-checks-stepwise.patch  resolveChatWrapper.warmUp runs the template checks with the event loop turning
//                                   between them; an unload stops them (JS)
//   21-speculation-accepts-runs.patch  a speculative decode keeps every drafted token the model would have written,
//                                   not one at most (JS)
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { applyPatch, parsePatch, reversePatch, type StructuredPatch } from "diff";
import { bundleNodeLlamaCpp } from "./bundle-node-llama-cpp.ts";

const ROOT = resolve(import.meta.dirname, "..");
export const PATCHES = resolve(ROOT, "patches/node-llama-cpp");

/** Applies every patch to the node-llama-cpp in `packageDir`; returns what it did, a line each. */
export function patchNodeLlamaCpp(packageDir: string): string[] {
  const expected = readFileSync(join(PATCHES, "VERSION"), "utf8").trim();
  const { version } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string };
  if (version !== expected) throw new Error(`the patches are for node-llama-cpp ${expected}, but ${packageDir} is ${version}`);
  return applyPatches(PATCHES, packageDir);
}

/**
 * Applies each `*.patch` in `folder` (unified diffs against `root`, in file name order) to the files
 * under `root`; one already applied is left as it is; one that neither applies nor is applied throws.
 * A file every patch of which is there already (they reverse, the last first, where a later patch
 * changed an earlier one's lines) is left whole. Returns what it did, a line each.
 */
export function applyPatches(folder: string, root: string): string[] {
  const lines: string[] = [];
  const byFile = new Map<string, Array<{ name: string; patch: StructuredPatch }>>();
  for (const name of patchNames(folder).map((patch) => `${patch}.patch`)) {
    for (const patch of parsePatch(readFileSync(join(folder, name), "utf8"))) {
      const relative = patch.newFileName!.replace(/^b\//, "");
      byFile.set(relative, [...(byFile.get(relative) ?? []), { name, patch }]);
    }
  }
  for (const [relative, patches] of byFile) {
    const file = join(root, relative);
    const current = readFileSync(file, "utf8");
    let unpatched: string | false = current;
    for (const { patch } of [...patches].reverse()) unpatched = unpatched === false ? false : applyPatch(unpatched, reversePatch(patch));
    if (unpatched !== false) {
      for (const { name } of patches) lines.push(`${name}: ${relative} already patched`);
      continue;
    }
    let text = current;
    for (const { name, patch } of patches) {
      const patched = applyPatch(text, patch);
      if (patched !== false) {
        text = patched;
        lines.push(`${name}: patched ${relative}`);
      } else if (applyPatch(text, reversePatch(patch)) !== false) {
        lines.push(`${name}: ${relative} already patched`);
      } else {
        throw new Error(`${name} does not apply to ${file}`);
      }
    }
    if (text !== current) writeFileSync(file, text);
  }
  return lines;
}

/** The patches in `folder` by file name without `.patch`, in the order they apply. */
export function patchNames(folder: string): string[] {
  return readdirSync(folder)
    .filter((file) => file.endsWith(".patch"))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
    .map((file) => file.replace(/\.patch$/, ""));
}

/**
 * Patches, printing a line for each file, then bundles the patched JavaScript (what oserve imports:
 * scripts/bundle-node-llama-cpp.ts); exits the process with 1 on a patch that neither applies nor is applied.
 */
export async function patchOrExit(packageDir: string): Promise<void> {
  try {
    for (const line of patchNodeLlamaCpp(packageDir)) console.log(`node-llama-cpp: ${line}`);
    console.log(`node-llama-cpp: ${await bundleNodeLlamaCpp(packageDir, patchNames(PATCHES))}`);
  } catch (error) {
    console.error(`patch-node-llama-cpp: ${(error as Error).message}`);
    process.exit(1);
  }
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({ options: { package: { type: "string", default: resolve(ROOT, "node_modules/node-llama-cpp") } } });
  await patchOrExit(resolve(values.package!));
}
