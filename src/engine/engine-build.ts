// Which native engine node-llama-cpp loaded: oserve's build (scripts/build-engine.ts, decode threads
// that persist between tokens) or the prebuilt from npm, said in one line at startup.

/** The build option that marks oserve's build in node-llama-cpp's build metadata. */
export const ENGINE_MARKER = { OSERVE_PERSISTENT_THREADS: "ON" } as const;

/** What node-llama-cpp's Llama says of the binary it loaded. */
export interface LoadedBinary {
  buildType: "localBuild" | "prebuilt";
  cmakeOptions: Readonly<Record<string, string>>;
}

export type EngineBuild = "persistent-threads" | "prebuilt" | "local-build";

export function engineBuild(binary: LoadedBinary): EngineBuild {
  if (binary.buildType === "prebuilt") return "prebuilt";
  return binary.cmakeOptions.OSERVE_PERSISTENT_THREADS === ENGINE_MARKER.OSERVE_PERSISTENT_THREADS ? "persistent-threads" : "local-build";
}

/** The startup line. */
export function describeEngine(build: EngineBuild): string {
  switch (build) {
    case "persistent-threads":
      return "engine: oserve build of node-llama-cpp (persistent decode threads)";
    case "local-build":
      return "engine: a local node-llama-cpp build, not oserve's (decode threads restart every token)";
    case "prebuilt":
      return "engine: node-llama-cpp prebuilt (decode threads restart every token; npm run build:engine builds the faster one)";
  }
}
