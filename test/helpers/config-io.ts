// A ConfigIO over an in-memory tree: a string is a file's text, an array a folder's names.
import { DISK } from "../../src/config/disk.ts";
import type { ConfigIO } from "../../src/config/resolve.ts";

const missing = (what: string) => Object.assign(new Error(`no such ${what}`), { code: "ENOENT" });

export function files(tree: Record<string, string | string[]>): ConfigIO {
  return {
    readFile: (path) => {
      const text = tree[path];
      if (typeof text !== "string") throw missing("file");
      return text;
    },
    listDir: (path) => {
      const names = tree[path];
      if (!Array.isArray(names)) throw missing("folder");
      return names;
    },
    downloadDir: DISK.downloadDir,
  };
}
