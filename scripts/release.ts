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
  const bins = existsSync(join(modules, "@node-llama-cpp"))
    ? readdirSync(join(modules, "@node-llama-cpp")).flatMap((name) => {
        const dir = join(modules, "@node-llama-cpp", name, "bins");
        return existsSync(dir) ? readdirSync(dir).map((platform) => join(dir, platform)) : [];
      })
    : [];
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
