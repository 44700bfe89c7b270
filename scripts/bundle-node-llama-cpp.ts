// Writes node-llama-cpp's JavaScript (patched) and its dependencies as one file beside its entry:
// dist/oserve-bundle.js, which oserve imports instead of dist/index.js (src/engine/node-llama-cpp.ts).
// Measured on 2 cores: importing the package's 290 files and their dependencies took 320 ms in node
// and 180 ms in the compiled binary; the one file takes 90 ms in each. The release ships only the
// bundle (scripts/build.ts), not the 150 packages behind it.
//
// Each module keeps its own `import.meta.url` (the URL its file had, from the bundle's, which sits in
// dist/ where index.js is), so node-llama-cpp's paths resolve as before: the llama/ folder with its
// local build and grammars, its package.json (whose version the prebuilt package must match). All but
// testBindingBinary.js's, which would fork itself as a script to test a binary: from the bundle it
// finds it cannot, and says so (patch 15 leaves it only GPU binaries to test).
// Left outside: the platform binary packages (@node-llama-cpp/*, found at run time as before), native
// addons, and what never runs here (electron; reflink, an optional native copy helper).
import { build, type Plugin } from "esbuild";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { BUNDLE_FILE } from "../src/engine/node-llama-cpp.ts";

const BUNDLE = `dist/${BUNDLE_FILE}`;

/** Bundles the node-llama-cpp in `packageDir` (with every one of `patches` applied, whose names it exports); writes only when the bundle changes. Returns a line saying what it did. */
export async function bundleNodeLlamaCpp(packageDir: string, patches: readonly string[] = []): Promise<string> {
  const outfile = join(packageDir, BUNDLE);
  const result = await build({
    entryPoints: [join(packageDir, "dist/index.js")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    write: false,
    outfile,
    external: ["@node-llama-cpp/*", "@reflink/*", "electron", "*.node"],
    // CommonJS dependencies bundled into an ES module still call require() (node's built-ins).
    banner: { js: 'import { createRequire as __oserveRequire } from "node:module"; const require = __oserveRequire(import.meta.url);' },
    // The patches it carries, by name: oserve says at startup which of its own are missing (src/engine/patches.ts).
    footer: { js: `export const oservePatches = ${JSON.stringify(patches)};` },
    plugins: [moduleUrls(join(packageDir, "dist"))],
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  if (existsSync(outfile) && Buffer.compare(readFileSync(outfile), code) === 0) return `${BUNDLE} up to date`;
  writeFileSync(outfile, code);
  return `${BUNDLE} written (${(code.length / 2 ** 20).toFixed(1)} MiB)`;
}

/** Rewrites each module's `import.meta.url` to its own file's URL, relative to the bundle in `distDir`. */
function moduleUrls(distDir: string): Plugin {
  return {
    name: "module-urls",
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        const contents = readFileSync(args.path, "utf8");
        if (!contents.includes("import.meta.url") || args.path.endsWith(`${sep}testBindingBinary.js`)) return undefined;
        const url = `new URL(${JSON.stringify(relative(distDir, args.path).split(sep).join("/"))}, import.meta.url).href`;
        return { contents: contents.replaceAll("import.meta.url", url), loader: "js" };
      });
    },
  };
}
