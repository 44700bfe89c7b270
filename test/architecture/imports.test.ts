// The data path reads in one direction: imports point down. Read from the sources' import lines.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, test } from "node:test";

const SRC = join(import.meta.dirname, "../../src");

/** Every source file's folder under src/ (a file at the top is its own), with the folders it imports. */
function folderImports(): Map<string, Map<string, string[]>> {
  const edges = new Map<string, Map<string, string[]>>();
  const group = (path: string) => (path.includes("/") ? path.split("/")[0]! : path.replace(/\.ts$/, ""));
  for (const file of readdirSync(SRC, { recursive: true }) as string[]) {
    if (!file.endsWith(".ts")) continue;
    const text = readFileSync(join(SRC, file), "utf8");
    for (const match of text.matchAll(/(?:from |import\()"(\.[^"]+)"/g)) {
      const target = relative(SRC, normalize(join(SRC, dirname(file), match[1]!)));
      if (target.startsWith("..")) continue;
      const [from, to] = [group(file), group(target)];
      if (from === to) continue;
      const out = edges.get(from) ?? new Map<string, string[]>();
      out.set(to, [...(out.get(to) ?? []), file]);
      edges.set(from, out);
    }
  }
  return edges;
}

describe("imports point down", () => {
  const edges = folderImports();
  const importers = (of: string) => [...edges].filter(([, to]) => to.has(of)).map(([from, to]) => `${from} (${to.get(of)!.join(", ")})`);

  test("no two folders import each other, however far round", () => {
    const cycles: string[] = [];
    const walk = (node: string, path: string[]) => {
      for (const next of edges.get(node)?.keys() ?? []) {
        if (path.includes(next)) cycles.push([...path.slice(path.indexOf(next)), next].join(" → "));
        else walk(next, [...path, next]);
      }
    };
    for (const node of edges.keys()) walk(node, [node]);
    assert.deepEqual([...new Set(cycles)], []);
  });

  test("the engine imports nothing above it; the stream machinery knows only the engine's events", () => {
    assert.deepEqual([...(edges.get("engine")?.keys() ?? [])], [], "engine/ imports");
    assert.deepEqual([...(edges.get("stream")?.keys() ?? [])].filter((to) => to !== "engine"), [], "stream/ imports");
  });

  test("no protocol imports another; the config is read by no engine, encoder or stream", () => {
    assert.ok(!edges.get("openai")?.has("anthropic") && !edges.get("anthropic")?.has("openai"));
    const readers = importers("config").filter((from) => /^(engine|openai|anthropic|stream|request|models) /.test(from));
    assert.deepEqual(readers, []);
  });
});
