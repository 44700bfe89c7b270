// Which of oserve's patches the engine that loaded carries: node-llama-cpp's JavaScript (the bundle
// that scripts/bundle-node-llama-cpp.ts makes once every patch applied exports their names) and
// llama.cpp's sources (the engine build's metadata names them). A missing one is said at startup.

/** patches/node-llama-cpp/ and patches/llama.cpp/, by file name without `.patch` (test/engine/patches.test.ts checks). */
export const EXPECTED_PATCHES = {
  nodeLlamaCpp: ["1-persistent-threads", "2-fair-context-lock", "3-sequence-ordered-batch", "4-sample-in-decode", "6-checkpoint-need-once", "7-repack-option", "8-greedy-argmax", "9-logger-callback-replaced", "10-trim-after-unload", "11-gguf-parse-yields", "12-jinja-check-once", "13-gguf-skip-vocabulary", "14-simulate-on-gpu-only", "15-cpu-binaries-untested", "16-load-while-reading", "17-oserve-natives", "18-gguf-number-arrays", "19-sampler-config-once", "20-jinja-checks-stepwise", "21-speculation-accepts-runs"],
  llamaCpp: ["1-vocab-load", "2-vocab-partition-linear"],
} as const;

/** The engine build's metadata key that names the llama.cpp patches compiled in (scripts/build-engine.ts). */
export const LLAMA_CPP_PATCHES_OPTION = "OSERVE_LLAMA_CPP_PATCHES";

/** What the loaded engine lacks of oserve's patches; empty lists where it has them all. */
export interface MissingPatches {
  nodeLlamaCpp: string[];
  /** Only for oserve's engine build: the prebuilt carries none by design (its own startup line says so). */
  llamaCpp: string[];
}

/**
 * `bundled`: the names node-llama-cpp's bundle exports (undefined where it loaded unbundled: Deno,
 * or a package whose patching never finished; then nothing can be told of its JavaScript);
 * `cmakeOptions`: the loaded binary's build options; `engineBuild`: whether it is oserve's.
 */
export function missingPatches(bundled: readonly string[] | undefined, cmakeOptions: Readonly<Record<string, string>>, engineBuild: boolean): MissingPatches {
  const compiled = (cmakeOptions[LLAMA_CPP_PATCHES_OPTION] ?? "").split(",").filter(Boolean);
  return {
    nodeLlamaCpp: bundled === undefined ? [] : EXPECTED_PATCHES.nodeLlamaCpp.filter((name) => !bundled.includes(name)),
    llamaCpp: engineBuild ? EXPECTED_PATCHES.llamaCpp.filter((name) => !compiled.includes(name)) : [],
  };
}

/** The startup warning for what is missing; null where nothing is. */
export function describeMissingPatches(missing: MissingPatches): string | null {
  const parts = [];
  if (missing.nodeLlamaCpp.length > 0) parts.push(`node-llama-cpp lacks ${missing.nodeLlamaCpp.length === EXPECTED_PATCHES.nodeLlamaCpp.length ? "all of oserve's patches" : `oserve's patches ${missing.nodeLlamaCpp.join(", ")}`}`);
  if (missing.llamaCpp.length > 0) parts.push(`the engine build lacks llama.cpp patches ${missing.llamaCpp.join(", ")}`);
  return parts.length === 0 ? null : `warning: ${parts.join("; ")} (npm ci, or npx tsx scripts/patch-node-llama-cpp.ts and npm run build:engine, applies them)`;
}
