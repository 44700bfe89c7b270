// The answers of node-llama-cpp's chat-template checks, kept between runs. Before a model's first
// chat request node-llama-cpp renders its Jinja template against each candidate chat wrapper's to
// pick one (patch 12; some 0.3 s on the tiny model, after the ready line and before the first
// token). The answer depends on the template and the wrapper (both in the check's key), the
// vocabulary (the model file: its path, size and modification time) and node-llama-cpp's version,
// so a second start of the same model reads them here instead of rendering again.
//
// One JSON file: $OSERVE_CACHE_DIR/template-checks.json, else $XDG_CACHE_HOME/oserve/…, else
// ~/.cache/oserve/…; OSERVE_CACHE_DIR=off keeps nothing. Written whole (a temporary file renamed), at
// most MAX_ENTRIES answers, the newest kept; a file that cannot be read or written is only a slower
// start, never an error.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** What node-llama-cpp's patched warm-up asks: an answer it has seen, and where to keep a new one. */
export interface CheckStore {
  get(key: string): boolean | undefined;
  set(key: string, answer: boolean): void;
}

const MAX_ENTRIES = 4096;
const FILE = "template-checks.json";

/** The folder the answers go in, or null where OSERVE_CACHE_DIR=off. */
export function cacheDir(env: Record<string, string | undefined> = process.env): string | null {
  if (env.OSERVE_CACHE_DIR === "off") return null;
  if (env.OSERVE_CACHE_DIR) return resolve(env.OSERVE_CACHE_DIR);
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "oserve");
}

/** The checks' answers for one model file under one node-llama-cpp version; `save` writes what was added. */
export class TemplateChecks implements CheckStore {
  private readonly identity: string;
  private readonly answers: Map<string, boolean>;
  private added = 0;

  constructor(
    private readonly dir: string | null,
    modelPath: string,
    nodeLlamaCppVersion: string,
  ) {
    const file = statOrNull(modelPath);
    this.identity = JSON.stringify([nodeLlamaCppVersion, resolve(modelPath), file?.size ?? null, file?.mtimeMs ?? null]);
    this.answers = dir === null ? new Map() : readAnswers(join(dir, FILE));
  }

  get(key: string): boolean | undefined {
    return this.answers.get(this.hash(key));
  }

  set(key: string, answer: boolean): void {
    const hashed = this.hash(key);
    // Newest last, so that the oldest go first past MAX_ENTRIES.
    this.answers.delete(hashed);
    this.answers.set(hashed, answer);
    this.added++;
  }

  /** Writes the file where a check ran since it was read (merging what other runs wrote meanwhile). */
  save(): void {
    if (this.dir === null || this.added === 0) return;
    const path = join(this.dir, FILE);
    const merged = readAnswers(path);
    for (const [key, answer] of this.answers) {
      merged.delete(key);
      merged.set(key, answer);
    }
    const kept = [...merged].slice(-MAX_ENTRIES);
    try {
      mkdirSync(this.dir, { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ version: 1, answers: Object.fromEntries(kept) }));
      renameSync(temporary, path);
      this.added = 0;
    } catch {
      // A read-only home or a full disk: the next start checks again.
    }
  }

  private hash(key: string): string {
    return createHash("sha256").update(this.identity).update("\0").update(key).digest("base64url");
  }
}

function readAnswers(path: string): Map<string, boolean> {
  try {
    const { version, answers } = JSON.parse(readFileSync(path, "utf8")) as { version?: unknown; answers?: unknown };
    if (version !== 1 || typeof answers !== "object" || answers === null) return new Map();
    return new Map(Object.entries(answers).filter((entry): entry is [string, boolean] => typeof entry[1] === "boolean"));
  } catch {
    return new Map();
  }
}

function statOrNull(path: string): { size: number; mtimeMs: number } | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
