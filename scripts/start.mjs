// npm start: runs src/cli.ts with node, from JavaScript that esbuild makes of the sources
// (build/start/<build>/cli.js), made again whenever a file it was made from (a source file, a
// dependency) is newer than it: some 0.2 s after an edit, nothing otherwise. Split in chunks: what
// the server imports once the model's load has started (its routes, hono, zod) is a file of its
// own, which node parses then, not before the load (some 50 ms of a start). Running the TypeScript
// through tsx instead cost 1 s of every start (tsx's loader hook on each of the ~150 modules, and on
// node-llama-cpp's bundle). Plain JavaScript, so that node runs it as it is.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = resolve(import.meta.dirname, "..");
const OUT = resolve(ROOT, "build/start");
/** Which build is current, and what it was made from: {"dir", "inputs"}. Replaced whole (renamed). */
const CURRENT = join(OUT, "current.json");

/** The current build's folder, or null when there is none or a file it was made from changed (or went) since. */
function current() {
  try {
    const made = statSync(CURRENT).mtimeMs;
    const { dir, inputs } = JSON.parse(readFileSync(CURRENT, "utf8"));
    if (!existsSync(join(OUT, dir, "cli.js"))) return null;
    return inputs.some((input) => statSync(resolve(ROOT, input)).mtimeMs > made) ? null : join(OUT, dir);
  } catch {
    return null;
  }
}

/** Builds into a folder of its own (two starts at once never read each other's half-written files); returns it. */
async function rebuild() {
  // esbuild only here: importing it costs a fresh start some 20 ms.
  const { build } = await import("esbuild");
  const dir = `${Date.now()}-${process.pid}`;
  mkdirSync(join(OUT, dir), { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [resolve(ROOT, "src/cli.ts")],
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir: join(OUT, dir),
    // Where it is found at run time: its native addon and files beside its package (src/engine/node-llama-cpp.ts).
    external: ["node-llama-cpp"],
    banner: { js: 'import { createRequire as __oserveRequire } from "node:module"; const require = __oserveRequire(import.meta.url);' },
    metafile: true,
    logLevel: "warning",
  });
  const temporary = `${CURRENT}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ dir, inputs: Object.keys(result.metafile.inputs) }));
  renameSync(temporary, CURRENT);
  // Earlier builds, once no start can still be reading them.
  for (const old of readdirSync(OUT)) {
    const path = join(OUT, old);
    if (old !== dir && !old.startsWith("current.json") && Date.now() - statSync(path).mtimeMs > 60_000) rmSync(path, { recursive: true, force: true });
  }
  return join(OUT, dir);
}

await import(pathToFileURL(join(current() ?? (await rebuild()), "cli.js")).href);
