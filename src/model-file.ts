import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { ConfigError } from "./config/errors.ts";
import { importNodeLlamaCpp } from "./engine/node-llama-cpp.ts";

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

/** `https://…`, `http://…` and `hf:OWNER/REPO/FILE.gguf` name a model to download; anything else is a path. */
export function isModelUri(model: string): boolean {
  return /^(https?:\/\/|hf:)/i.test(model);
}

/**
 * The model's local path: a path as it is; a URI downloaded once into `modelsDir` by node-llama-cpp's
 * own resolver (resumed when cut, checked against the size the server announced), then found there
 * again without the network.
 */
export async function resolveModel(model: string, modelsDir: string, signal?: AbortSignal): Promise<string> {
  if (!isModelUri(model)) return model;
  const { resolveModelFile } = await importNodeLlamaCpp();
  let path: string;
  try {
    path = await resolveModelFile(model, {
      directory: modelsDir,
      // A name of our own making: with it an earlier download is found again without asking the network.
      fileName: cachedFileName(model),
      download: "auto",
      cli: false,
      onProgress: downloadProgress(model),
      // Shutdown (SIGTERM, Ctrl-C) stops a download under way.
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new ConfigError(`--model ${model}: could not download: ${(error as Error)?.message ?? error}`);
  } finally {
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  }
  await checkGgufFile(path);
  return path;
}

/** `hf:owner/repo/x.gguf` or `https://host/…/x.gguf?download=true` → `<8 hex of the URI>-x.gguf`: readable, and apart per source. */
export function cachedFileName(uri: string): string {
  const path = uri.replace(/^hf:/i, "").split(/[?#]/)[0]!;
  const name = path.split("/").filter(Boolean).at(-1) ?? "model.gguf";
  return `${createHash("sha256").update(uri).digest("hex").slice(0, 8)}-${name}`;
}

function downloadProgress(model: string): ((status: { totalSize: number; downloadedSize: number }) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let shown = -1;
  return ({ totalSize, downloadedSize }) => {
    const percent = totalSize > 0 ? Math.floor((downloadedSize / totalSize) * 100) : 0;
    if (percent === shown) return;
    shown = percent;
    process.stderr.write(`\rdownloading ${model}: ${percent}% of ${(totalSize / 1024 ** 2).toFixed(1)} MiB`);
  };
}
