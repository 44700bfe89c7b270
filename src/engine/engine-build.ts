// Which native engine node-llama-cpp loaded: oserve's build (scripts/build-engine.ts, decode threads
// that persist between tokens) or the prebuilt from npm, said in one line at startup.

/** The build option that marks oserve's build in node-llama-cpp's build metadata. */
export const ENGINE_MARKER = { OSERVE_PERSISTENT_THREADS: "ON" } as const;

/** What node-llama-cpp's Llama says of the binary it loaded. */
export interface LoadedBinary {
  buildType: "localBuild" | "prebuilt";
  cmakeOptions: Readonly<Record<string, string>>;
  /** The GPU backend it was built for ("cuda", "vulkan", "metal"), false for the CPU. */
  gpu: string | false;
}

/**
 * oserve's engine build is a CPU binary (node-llama-cpp names it for `gpu: false`), so where a GPU
 * prebuilt loads, that one runs: "gpu-prebuilt". The CPU one runs only where no GPU backend loads,
 * or with --gpu-layers 0.
 */
export type EngineBuild = "persistent-threads" | "prebuilt" | "gpu-prebuilt" | "local-build";

export function engineBuild(binary: LoadedBinary): EngineBuild {
  if (binary.buildType === "prebuilt") return binary.gpu === false ? "prebuilt" : "gpu-prebuilt";
  return binary.cmakeOptions.OSERVE_PERSISTENT_THREADS === ENGINE_MARKER.OSERVE_PERSISTENT_THREADS ? "persistent-threads" : "local-build";
}

const GPU_NAMES: Readonly<Record<string, string>> = { cuda: "CUDA", vulkan: "Vulkan", metal: "Metal" };

/** The startup line. */
export function describeEngine(build: EngineBuild, gpu: string | false = false): string {
  switch (build) {
    case "persistent-threads":
      return "engine: oserve build of node-llama-cpp (persistent decode threads)";
    case "local-build":
      return "engine: a local node-llama-cpp build, not oserve's (decode threads restart every token)";
    case "gpu-prebuilt":
      return `engine: node-llama-cpp prebuilt for ${gpu === false ? "a GPU" : (GPU_NAMES[gpu] ?? gpu)} (oserve's engine build is for the CPU: it runs with --gpu-layers 0)`;
    case "prebuilt":
      return "engine: node-llama-cpp prebuilt (decode threads restart every token; npm run build:engine builds the faster one)";
  }
}
