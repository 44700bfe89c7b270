// npm start: runs src/cli.ts with node, from one JavaScript file that esbuild makes of the sources
// (build/start/oserve.mjs), made again whenever a file it was made from (a source file, a
// dependency) is newer than it: some 0.2 s after an edit, nothing otherwise. Running the
// TypeScript through tsx instead cost 0.8 s of every start (tsx's loader hook on each of the
// ~150 modules, and on node-llama-cpp's bundle). Plain JavaScript, so that node runs it as it is.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = resolve(import.meta.dirname, "..");
const OUT = resolve(ROOT, "build/start/oserve.mjs");
const INPUTS = `${OUT}.inputs.json`;

/** True when the bundle is missing, or a file it was made from changed (or went) since. */
function stale() {
  if (!existsSync(OUT) || !existsSync(INPUTS)) return true;
  const made = statSync(OUT).mtimeMs;
  try {
    return JSON.parse(readFileSync(INPUTS, "utf8")).some((input) => statSync(resolve(ROOT, input)).mtimeMs > made);
  } catch {
    return true;
  }
}

if (stale()) {
  mkdirSync(dirname(OUT), { recursive: true });
  // Written beside, then renamed: two starts at once (a test suite's servers) never read half a file.
  const temporary = `${OUT}.${process.pid}.tmp`;
  // esbuild only here: importing it costs a fresh start some 20 ms.
  const { build } = await import("esbuild");
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [resolve(ROOT, "src/cli.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: temporary,
    // Where it is found at run time: its native addon and files beside its package (src/engine/node-llama-cpp.ts).
    external: ["node-llama-cpp"],
    banner: { js: 'import { createRequire as __oserveRequire } from "node:module"; const require = __oserveRequire(import.meta.url);' },
    metafile: true,
    logLevel: "warning",
  });
  const inputs = Object.keys(result.metafile.inputs);
  writeFileSync(`${INPUTS}.${process.pid}.tmp`, JSON.stringify(inputs));
  renameSync(temporary, OUT);
  renameSync(`${INPUTS}.${process.pid}.tmp`, INPUTS);
}

await import(pathToFileURL(OUT).href);
