import { open } from "node:fs/promises";
import { ConfigError } from "./config.ts";

/** Fails with one clear line unless `path` is a readable file that starts with the GGUF magic. */
export async function checkGgufFile(path: string): Promise<void> {
  let magic: string;
  try {
    const file = await open(path, "r");
    try {
      const stat = await file.stat();
      if (!stat.isFile()) throw new ConfigError(`--model ${path}: not a regular file`);
      const { buffer, bytesRead } = await file.read(Buffer.alloc(4), 0, 4, 0);
      magic = buffer.subarray(0, bytesRead).toString("latin1");
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : String(code ?? error);
    throw new ConfigError(`--model ${path}: ${why}`);
  }
  if (magic !== "GGUF") throw new ConfigError(`--model ${path}: not a GGUF file (it does not start with 'GGUF')`);
}
