// The ConfigIO of a real run: files and folders read from disk, downloads under the platform's cache folder.
import { readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ConfigIO } from "./resolve.ts";

export const DISK: ConfigIO = {
  readFile: (path) => readFileSync(path, "utf8"),
  listDir: (path) => readdirSync(path),
  downloadDir: (env) => {
    if (process.platform === "darwin") return join(homedir(), "Library", "Caches", "oserve", "models");
    if (process.platform === "win32") return join(env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"), "oserve", "models");
    return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "oserve", "models");
  },
};
