// Usage: npm run build:engine [-- --package DIR] [--jobs N]
// Builds the faster engine: node-llama-cpp's native addon, compiled from the sources its npm package
// ships with oserve's patches applied (patches/node-llama-cpp/: decode threads that persist between
// tokens, sampling in the decode's worker; scripts/patch-node-llama-cpp.ts), and linked against the
// llama.cpp and ggml libraries of node-llama-cpp's own CPU prebuilt, so the kernels are the
// prebuilt's (every CPU variant, picked at run time; never -march=native). Only the addon is
// compiled (about a minute on 2 cores), offline: llama.cpp's headers come from the source bundle
// inside the package. With it, the llama.cpp sources patches/llama.cpp/ changes (a vocabulary's load
// that finds its special tokens by lookup), whose functions take the place of libllama's (below).
//
// Installs the result as node-llama-cpp's local build (llama/localBuilds/<platform>/), which its
// getLlama() loads before the prebuilt, and falls back from when it cannot load it. --package DIR
// names the node-llama-cpp to install into (default: this project's node_modules; scripts/build
// passes the one in dist/libexec). The compiled addon is cached in build/engine/, so that `npm ci`
// (which empties node_modules) costs only a copy to reinstall it.
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ENGINE_MARKER } from "../src/engine/engine-build.ts";
import { parsePatch } from "diff";
import { applyPatches, patchNames, patchNodeLlamaCpp } from "./patch-node-llama-cpp.ts";
import { LLAMA_CPP_PATCHES_OPTION } from "../src/engine/patches.ts";

const ROOT = resolve(import.meta.dirname, "..");
/**
 * Patches to llama.cpp's own sources (at the commit node-llama-cpp bundles). Each file they patch is
 * compiled into the addon, and the addon's copies of its functions take the place of libllama's: the
 * addon is first in the lookup scope of the libraries it loads, and libllama calls its own exported
 * functions through the PLT (ELF symbol interposition), so its code runs the patched functions while
 * the prebuilt's libraries stay as they are (and stay one copy in the release). A patch may change
 * what a function does, never a struct's layout: both copies share the same objects.
 */
const LLAMA_CPP_PATCHES = resolve(ROOT, "patches/llama.cpp");
/** The defines libllama's own files are compiled with (llama.cpp's CMake, a shared build with dynamic backends). */
const LLAMA_DEFINES = ["-DLLAMA_BUILD", "-DLLAMA_SHARED", "-DGGML_SHARED", "-DGGML_BACKEND_DL"];
/**
 * oserve's own native functions (llama.cpp's chat layer reached from JS: native/chat-layer.cpp),
 * compiled into the addon, which registers them (patches/node-llama-cpp/17-oserve-natives.patch).
 */
const NATIVES = resolve(ROOT, "native");

/** oserve's native sources, by name. */
function nativeSources(): string[] {
  return readdirSync(NATIVES).filter((file) => file.endsWith(".cpp")).sort();
}

/** The llama.cpp source files the patches change, relative to llama.cpp's root. */
function patchedLlamaCppSources(): string[] {
  return readdirSync(LLAMA_CPP_PATCHES)
    .filter((file) => file.endsWith(".patch"))
    .flatMap((file) => parsePatch(readFileSync(join(LLAMA_CPP_PATCHES, file), "utf8")).map((patch) => patch.newFileName!.replace(/^b\//, "")))
    .filter((file, index, files) => file.endsWith(".cpp") && files.indexOf(file) === index)
    .sort();
}

const { values } = parseArgs({
  options: {
    package: { type: "string", default: resolve(ROOT, "node_modules/node-llama-cpp") },
    jobs: { type: "string", default: String(availableParallelism()) },
  },
});

function run(command: string, args: string[], cwd?: string): string {
  return execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 2 ** 20 }).toString();
}

/** The CPU prebuilt's folder of libraries, e.g. …/@node-llama-cpp/linux-x64/bins/linux-x64. */
function prebuiltBins(packageDir: string, platform: string): string {
  const bins = join(dependencyDir(packageDir, `@node-llama-cpp/${platform}`), "bins", platform);
  if (!existsSync(join(bins, "llama-addon.node"))) throw new Error(`no prebuilt binaries in ${bins}`);
  return bins;
}

/** Where node resolves package `name` from node-llama-cpp (whatever its "exports" allow). */
function dependencyDir(packageDir: string, name: string): string {
  const paths = createRequire(join(packageDir, "package.json")).resolve.paths(name) ?? [];
  const found = paths.map((dir) => join(dir, name)).find((dir) => existsSync(join(dir, "package.json")));
  if (!found) throw new Error(`${name} is not installed beside ${packageDir}`);
  return found;
}

/** llama.cpp's headers at the commit the package bundles, taken from its git bundle without a network. */
function extractLlamaCppHeaders(packageDir: string, into: string): void {
  const bundle = join(packageDir, "llama/gitRelease.bundle");
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: node-llama-cpp's source bundle is needed to build`);
  const git = join(into, "repo.git");
  run("git", ["clone", "--quiet", "--bare", bundle, git]);
  const tar = join(into, "headers.tar");
  run("git", ["--git-dir", git, "archive", "--output", tar, "HEAD", "include", "common", "src", "ggml/include", "vendor"]);
  mkdirSync(join(into, "llama.cpp"));
  run("tar", ["-xf", tar, "-C", join(into, "llama.cpp")]);
}

/** The addon's source files, relative to llama/addon, in a stable order. */
function addonSources(packageDir: string): string[] {
  return readdirSync(join(packageDir, "llama/addon"), { recursive: true, encoding: "utf8" })
    .filter((file) => /\.(cpp|h)$/.test(file))
    .sort();
}

/**
 * Compiles every addon source and the patched llama.cpp sources (in parallel) and links them against
 * the prebuilt's libraries.
 */
async function compileAddon(packageDir: string, bins: string, work: string, out: string): Promise<void> {
  const addon = join(packageDir, "llama/addon");
  const llamaCpp = join(work, "llama.cpp");
  const includes = [
    dependencyDir(packageDir, "node-addon-api"),
    join(dependencyDir(packageDir, "node-api-headers"), "include"),
    llamaCpp,
    ...["include", "common", "src", "ggml/include", "vendor"].map((dir) => join(llamaCpp, dir)),
  ];
  const cxx = process.env.CXX ?? "c++";
  const flags = ["-O3", "-std=c++17", "-fPIC", "-fexceptions", "-DNAPI_VERSION=7", "-DNDEBUG", "-DOSERVE_NATIVES", "-w", ...includes.map((dir) => `-I${dir}`)];
  const sources = [
    ...addonSources(packageDir).filter((file) => file.endsWith(".cpp")).map((file) => ({ path: join(addon, file), flags })),
    ...patchedLlamaCppSources().map((file) => ({ path: join(llamaCpp, file), flags: [...flags, ...LLAMA_DEFINES] })),
    ...nativeSources().map((file) => ({ path: join(NATIVES, file), flags: [...flags, `-I${addon}`] })),
  ];
  const objects = sources.map((_, i) => join(work, "obj", `${i}.o`));
  mkdirSync(join(work, "obj"));
  const compile = (i: number) =>
    new Promise<void>((done, fail) =>
      execFile(cxx, ["-c", ...sources[i]!.flags, sources[i]!.path, "-o", objects[i]!], (error, _stdout, stderr) =>
        error ? fail(new Error(`${sources[i]!.path}: ${stderr || error.message}`)) : done(),
      ),
    );
  let next = 0;
  const worker = async () => {
    while (next < sources.length) await compile(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Number(values.jobs)) }, worker));
  // The prebuilt's libraries by their exact file names (some carry a version: libllama.v0.5.0.so).
  const libraries = readdirSync(bins).filter((file) => /^lib(llama|llama-common|ggml|ggml-base)(\.v[\d.]+)?\.(so|dylib)$/.test(file));
  run(cxx, [
    "-shared",
    "-o",
    out,
    ...objects,
    `-L${bins}`,
    ...libraries.map((file) => `-l:${file}`),
    // dlsym (native/template-analysis.cpp) lives in libdl before glibc 2.34.
    "-ldl",
    "-Wl,-soname,llama-addon.node",
    "-Wl,-rpath,$ORIGIN",
  ]);
}

try {
  const packageDir = resolve(values.package!);
  const { version } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { version: string };
  if (process.platform !== "linux") throw new Error(`the engine build supports Linux only for now; on ${process.platform} oserve uses node-llama-cpp's prebuilt binaries`);
  const platform = `linux-${process.arch}`;
  const bins = prebuiltBins(packageDir, platform);
  // The addon and the patched llama.cpp sources are compiled from the package's source bundle and
  // linked to the prebuilt's libraries: both must be the same llama.cpp release.
  const sourcesRelease = (JSON.parse(readFileSync(join(packageDir, "llama/binariesGithubRelease.json"), "utf8")) as { release: string }).release;
  const prebuiltRelease = (JSON.parse(readFileSync(join(bins, "_nlcBuildMetadata.json"), "utf8")) as { buildOptions: { llamaCpp: { release: string } } }).buildOptions.llamaCpp.release;
  if (sourcesRelease !== prebuiltRelease) throw new Error(`the prebuilt's llama.cpp is ${prebuiltRelease}, but the package's sources are ${sourcesRelease}`);
  for (const line of patchNodeLlamaCpp(packageDir)) console.log(`engine: ${line}`);

  // The cache key: the addon's (patched) sources, the patches to llama.cpp's, and the prebuilt addon this one replaces.
  const hash = createHash("sha256").update(version);
  for (const file of addonSources(packageDir)) hash.update(file).update(readFileSync(join(packageDir, "llama/addon", file)));
  for (const file of readdirSync(LLAMA_CPP_PATCHES).sort()) hash.update(file).update(readFileSync(join(LLAMA_CPP_PATCHES, file)));
  for (const file of nativeSources()) hash.update(file).update(readFileSync(join(NATIVES, file)));
  const key = hash.update(readFileSync(join(bins, "llama-addon.node"))).digest("hex").slice(0, 12);
  const cached = resolve(ROOT, "build/engine", `${version}-${platform}-${key}`, "llama-addon.node");
  if (existsSync(cached)) {
    console.log(`engine: cached ${cached}`);
  } else {
    const work = mkdtempSync(join(tmpdir(), "oserve-engine-"));
    try {
      const started = performance.now();
      console.log(`engine: building node-llama-cpp ${version}'s addon against ${bins}`);
      extractLlamaCppHeaders(packageDir, work);
      for (const line of applyPatches(LLAMA_CPP_PATCHES, join(work, "llama.cpp"))) console.log(`engine: llama.cpp: ${line}`);
      mkdirSync(dirname(cached), { recursive: true });
      await compileAddon(packageDir, bins, work, `${cached}.tmp`);
      copyFileSync(`${cached}.tmp`, cached);
      rmSync(`${cached}.tmp`);
      console.log(`engine: built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  // node-llama-cpp's local build layout: <folder>/Release/{llama-addon.node, libraries, metadata}
  // and <folder>/buildDone.status. The metadata names this machine's OS, so that elsewhere
  // node-llama-cpp tests the binary in a child process before it loads it.
  const folder = join(packageDir, "llama/localBuilds", platform);
  rmSync(folder, { recursive: true, force: true });
  const release = join(folder, "Release");
  cpSync(bins, release, { recursive: true });
  copyFileSync(cached, join(release, "llama-addon.node"));
  const metadataFile = join(release, "_nlcBuildMetadata.json");
  const metadata = JSON.parse(readFileSync(metadataFile, "utf8"));
  const { getPlatformInfo } = await import(pathToFileURL(join(packageDir, "dist/bindings/utils/getPlatformInfo.js")).href);
  metadata.buildOptions.platformInfo = await getPlatformInfo();
  metadata.buildOptions.customCmakeOptions = { ...metadata.buildOptions.customCmakeOptions, ...ENGINE_MARKER, [LLAMA_CPP_PATCHES_OPTION]: patchNames(LLAMA_CPP_PATCHES).join(",") };
  writeFileSync(metadataFile, JSON.stringify(metadata));
  writeFileSync(join(folder, "buildDone.status"), "");
  console.log(`engine: installed into ${folder}`);
} catch (error) {
  console.error(`build:engine: ${(error as Error).message}`);
  process.exit(1);
}
