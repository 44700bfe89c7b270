// Usage: npm run release [-- --url-base URL]
// Builds (npm run build), then packs dist/oserve-<version>-<os>-<arch>.tar.xz laid out as a
// Homebrew keg (oserve-<version>/bin/oserve, oserve-<version>/libexec/…), writes its .sha256 and
// renders dist/oserve.rb. --url-base is where the tarball will be downloaded from (default: the
// dist/ folder as a file:// URL, for `brew install ./dist/oserve.rb` on this machine).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { hostPlatform } from "./platform.ts";

const ROOT = resolve(import.meta.dirname, "..");
const DIST = resolve(ROOT, "dist");

/**
 * The engine build (node-llama-cpp's localBuilds/) carries copies of the CPU prebuilt's llama.cpp
 * libraries beside its addon (scripts/build-engine.ts): each identical copy becomes a hard link to
 * the prebuilt's file, which tar packs once and unpacks as a link. Returns the bytes saved.
 */
function linkEngineLibraries(nodeModules: string): number {
  const localBuilds = join(nodeModules, "node-llama-cpp/llama/localBuilds");
  if (!existsSync(localBuilds)) return 0;
  let saved = 0;
  for (const platform of readdirSync(localBuilds)) {
    const release = join(localBuilds, platform, "Release");
    const prebuilt = join(nodeModules, "@node-llama-cpp", platform, "bins", platform);
    if (!existsSync(release) || !existsSync(prebuilt)) continue;
    for (const file of readdirSync(release).filter((name) => /^lib.*\.(so|dylib)/.test(name))) {
      const [copy, original] = [join(release, file), join(prebuilt, file)];
      if (!existsSync(original) || !readFileSync(copy).equals(readFileSync(original))) continue;
      saved += statSync(copy).size;
      rmSync(copy);
      linkSync(original, copy);
    }
  }
  return saved;
}

/**
 * ggml's x64 CPU kernel variants below AVX2 (its ggml/src/CMakeLists.txt: x64, SSE4.2, AVX, AVX+F16C,
 * AVX+F16C+FMA). The binary carries Bun's x64 runtime built for Haswell (AVX2, FMA, F16C, BMI2), and
 * wherever that runs, ggml's `haswell` variant loads and outranks all five: none of them is ever the
 * one loaded, so the keg leaves them out. Bun's baseline runtime would run on older CPUs; with it
 * they stay.
 */
const BELOW_AVX2 = ["x64", "sse42", "sandybridge", "ivybridge", "piledriver"];

/** Whether the Bun that compiled dist/oserve is its baseline x64 build (the `bun` package installs the one this CPU runs). */
function baselineRuntime(): boolean {
  const bun = resolve(ROOT, "node_modules/bun/bin/bun.exe");
  const baseline = resolve(ROOT, `node_modules/@oven/bun-${process.platform}-x64-baseline/bin/bun`);
  return existsSync(baseline) && statSync(baseline).size === statSync(bun).size && readFileSync(baseline).equals(readFileSync(bun));
}

/** The prebuilt packages' folders of binaries in a node_modules: @node-llama-cpp/<package>/bins/<platform>. */
function prebuiltFolders(nodeModules: string): string[] {
  const packages = join(nodeModules, "@node-llama-cpp");
  if (!existsSync(packages)) return [];
  return readdirSync(packages).flatMap((name) => {
    const bins = join(packages, name, "bins");
    return existsSync(bins) ? readdirSync(bins).map((platform) => join(bins, platform)) : [];
  });
}

/** The engine build's folders of binaries in a node_modules: node-llama-cpp/llama/localBuilds/<platform>/Release. */
function localBuildFolders(nodeModules: string): string[] {
  const localBuilds = join(nodeModules, "node-llama-cpp/llama/localBuilds");
  return existsSync(localBuilds) ? readdirSync(localBuilds).map((platform) => join(localBuilds, platform, "Release")) : [];
}

/** Removes the kernel variants below AVX2 from every folder of kernels in the keg's node_modules; returns the bytes of one folder's (the engine build's copies become links to the prebuilt's). */
function dropVariantsBelowAvx2(nodeModules: string): number {
  let dropped = 0;
  for (const folder of [...prebuiltFolders(nodeModules), ...localBuildFolders(nodeModules)]) {
    let here = 0;
    for (const variant of BELOW_AVX2) {
      const file = join(folder, `libggml-cpu-${variant}.so`);
      if (!existsSync(file)) continue;
      here += statSync(file).size;
      rmSync(file);
    }
    dropped = Math.max(dropped, here);
  }
  return dropped;
}

try {
  const { values } = parseArgs({ options: { "url-base": { type: "string" }, "skip-build": { type: "boolean" } } });
  const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as { version: string; description: string; homepage?: string };
  if (!values["skip-build"]) execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });

  const keg = `oserve-${pkg.version}`;
  // xz, not gzip: the Bun runtime in the binary packs to 27 MB instead of 40 (Homebrew and tar read both).
  const tarball = `${keg}-${hostPlatform()}.tar.xz`;
  const stage = resolve(DIST, "stage");
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(resolve(stage, keg, "bin"), { recursive: true });
  cpSync(resolve(DIST, "oserve"), resolve(stage, keg, "bin/oserve"));
  cpSync(resolve(DIST, "libexec"), resolve(stage, keg, "libexec"), { recursive: true });
  if (hostPlatform() === "linux-x64" && !baselineRuntime()) {
    const dropped = dropVariantsBelowAvx2(resolve(stage, keg, "libexec/node_modules"));
    console.log(`release: llama.cpp's CPU kernels below AVX2 left out (${BELOW_AVX2.join(", ")}): the binary's runtime needs AVX2, and there the haswell kernels load (${mib(dropped)})`);
  }
  const linked = linkEngineLibraries(resolve(stage, keg, "libexec/node_modules"));
  if (linked > 0) console.log(`release: the engine build's llama.cpp libraries are the prebuilt's: ${(linked / 2 ** 20).toFixed(1)} MiB hard-linked, not packed twice`);
  execFileSync("tar", ["-cJf", resolve(DIST, tarball), "-C", stage, keg], { env: { ...process.env, XZ_OPT: "-6 -T0" } });
  console.log(`release: what the keg weighs, installed:\n${weights(resolve(stage, keg))}`);
  rmSync(stage, { recursive: true, force: true });
  console.log(`release: dist/${tarball}: ${mib(statSync(resolve(DIST, tarball)).size)}`);

  const sha256 = createHash("sha256").update(readFileSync(resolve(DIST, tarball))).digest("hex");
  writeFileSync(resolve(DIST, `${tarball}.sha256`), `${sha256}  ${tarball}\n`);
  const urlBase = (values["url-base"] ?? pathToFileURL(DIST).href).replace(/\/$/, "");
  writeFileSync(resolve(DIST, "oserve.rb"), formula({ version: pkg.version, description: pkg.description, homepage: pkg.homepage, url: `${urlBase}/${tarball}`, sha256 }));
  console.log(`dist/${tarball} (sha256 ${sha256})\ndist/${tarball}.sha256\ndist/oserve.rb`);
} catch (error) {
  console.error(`release: ${(error as Error).message}`);
  process.exit(1);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Each part of the keg and what it takes on disk (du: a hard-linked file counted once), then the whole. */
function weights(keg: string): string {
  const du = (...paths: string[]) => (paths.length === 0 ? 0 : Number(execFileSync("du", ["-sbc", ...paths]).toString().trim().split("\n").at(-1)!.split("\t")[0]));
  const modules = join(keg, "libexec/node_modules");
  const nodeLlamaCpp = join(modules, "node-llama-cpp");
  const bins = prebuiltFolders(modules);
  const files = (pattern: RegExp) => bins.flatMap((dir) => readdirSync(dir).filter((name) => pattern.test(name)).map((name) => join(dir, name)));
  const cpuVariants = files(/^libggml-cpu-/);
  const bun = resolve(ROOT, "node_modules/bun/bin/bun.exe");
  const binary = du(join(keg, "bin/oserve"));
  const runtime = existsSync(bun) ? statSync(bun).size : 0;
  const rows: Array<[string, number]> = [
    [`bin/oserve: the Bun runtime (${mib(runtime)}) and oserve's own code (${mib(binary - runtime)})`, binary],
    [`llama.cpp's CPU kernels: ${cpuVariants.length} variants (ggml-cpu-*), of which it loads the best this CPU runs`, du(...cpuVariants)],
    ["llama.cpp itself (libllama, libllama-common, libggml, libggml-base)", du(...files(/^lib(llama|ggml)(?!-cpu-)/))],
    ["node-llama-cpp's prebuilt addon (the fallback where the engine build cannot load)", du(...files(/\.node$/))],
    ["the engine build's addon (its libraries are links to those above)", existsSync(join(nodeLlamaCpp, "llama/localBuilds")) ? du(...bins, join(nodeLlamaCpp, "llama/localBuilds")) - du(...bins) : 0],
    ["node-llama-cpp's JavaScript: one bundle with its dependencies", du(join(nodeLlamaCpp, "dist"))],
  ];
  const total = du(keg);
  rows.push(["the rest (package files, grammars, build metadata)", total - rows.reduce((sum, [, bytes]) => sum + bytes, 0)]);
  rows.push(["in all", total]);
  return rows.map(([part, bytes]) => `  ${mib(bytes).padStart(10)}  ${part}`).join("\n");
}

interface FormulaFields {
  version: string;
  description: string;
  homepage: string | undefined;
  url: string;
  sha256: string;
}

function formula({ version, description, homepage, url, sha256 }: FormulaFields): string {
  return `class Oserve < Formula
  desc "${description}"
${homepage ? `  homepage "${homepage}"\n` : ""}  url "${url}"
  version "${version}"
  sha256 "${sha256}"
  license "MIT"

  def install
    # bin/oserve loads node-llama-cpp from ../libexec, found through its real path.
    libexec.install Dir["libexec/*"]
    bin.install "bin/oserve"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/oserve --version")
  end
end
`;
}
