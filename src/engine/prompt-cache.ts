// Prompts kept beyond the sequences (llama-server's --cache-ram, and its slot save/restore on disk):
// a sequence about to be given to another prompt first writes its evaluated tokens' state to a file
// (llama.cpp's sequence state: the KV cache of those tokens); a later prompt that shares more with a
// kept one than with any sequence loads it back and evaluates only the rest. An agent's main
// conversation and its subagents' (each a long prompt of its own) alternate on fewer sequences
// without paying their prefill again. In a folder that outlives the process (--cache-dir), the
// prompts kept at shutdown serve the next start: yesterday's session resumes without its prefill.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { sharedPrefix } from "./prompt-reuse.ts";

/** Prompts shorter than this are cheaper to evaluate again than to write and read. */
export const MIN_CACHED_TOKENS = 512;
/** A kept prompt is loaded only where it gives this many more tokens than the sequence has. */
const MIN_GAIN_TOKENS = 256;

/** One prompt kept: its tokens, and its state's file. */
interface Entry {
  readonly id: string;
  readonly tokens: readonly Token[];
  bytes: number;
  lastUsed: number;
}

/** What the caches of every model share: one budget of bytes, least recently used evicted first. */
export class PromptCacheBudget {
  private readonly caches = new Set<PromptCache>();

  constructor(readonly bytes: number) {}

  /** Registers a model's cache under this budget. */
  add(cache: PromptCache): void {
    this.caches.add(cache);
  }

  remove(cache: PromptCache): void {
    this.caches.delete(cache);
  }

  /** Evicts the least recently used entries of any model until `incoming` more bytes fit. */
  makeRoom(incoming: number): void {
    for (;;) {
      let used = 0;
      let oldest: { cache: PromptCache; entry: Entry } | null = null;
      for (const cache of this.caches) {
        for (const entry of cache.entries()) {
          used += entry.bytes;
          if (!oldest || entry.lastUsed < oldest.entry.lastUsed) oldest = { cache, entry };
        }
      }
      if (used + incoming <= this.bytes || !oldest) return;
      oldest.cache.drop(oldest.entry);
    }
  }
}

export interface PromptCacheOptions {
  /** The folder every model keeps its prompts under, each in a folder of its own (made if missing). */
  root: string;
  budget: PromptCacheBudget;
  /** Whether the folder outlives the process: its prompts are read at load and kept at close. */
  persistent: boolean;
}

/**
 * A model's own folder: by name for one process's memory; by the model file (its path, size and
 * time) and the llama.cpp that wrote the states where it outlives the process, since a state loaded
 * into another model may crash it.
 */
export function modelCacheDir(options: PromptCacheOptions, modelId: string, modelPath: string, llamaCppRelease: string): string {
  if (!options.persistent) return join(options.root, modelId.replace(/[^\w.-]/g, "_"));
  const real = realpathSync(modelPath);
  const { size, mtimeMs } = statSync(real);
  const key = createHash("sha256").update(JSON.stringify({ real, size, mtimeMs, llamaCppRelease })).digest("hex").slice(0, 16);
  return join(options.root, key);
}

/** Counts for /metrics. */
export interface PromptCacheStats {
  entries: number;
  bytes: number;
  saves: number;
  restores: number;
  /** Tokens restored from kept prompts, not evaluated again. */
  restoredTokens: number;
}

export class PromptCache {
  private readonly kept = new Map<string, Entry>();
  private next = 0;
  readonly stats = { saves: 0, restores: 0, restoredTokens: 0 };

  constructor(private readonly options: PromptCacheOptions & { dir: string }) {
    mkdirSync(options.dir, { recursive: true });
    options.budget.add(this);
    if (options.persistent) this.readFolder();
    options.budget.makeRoom(0);
  }

  entries(): IterableIterator<Entry> {
    return this.kept.values();
  }

  summary(): PromptCacheStats {
    let bytes = 0;
    for (const entry of this.kept.values()) bytes += entry.bytes;
    return { entries: this.kept.size, bytes, ...this.stats };
  }

  /**
   * Before `sequence` is given to `prompt`: its tokens are kept where the prompt would lose most of
   * them and they are long enough to be worth it (and not kept already).
   */
  async keepBeforeReuse(sequence: LlamaContextSequence, prompt: readonly Token[]): Promise<void> {
    const held = sequence.contextTokens;
    if (held.length < MIN_CACHED_TOKENS || sharedPrefix(held, prompt) >= held.length - MIN_GAIN_TOKENS) return;
    await this.save(sequence);
  }

  /**
   * Where a kept prompt shares more with `prompt` than `sequence` holds (by MIN_GAIN_TOKENS at
   * least), its state is loaded into the sequence; resolves with whether it was.
   */
  async restoreInto(sequence: LlamaContextSequence, prompt: readonly Token[]): Promise<boolean> {
    const have = sharedPrefix(sequence.contextTokens, prompt);
    let best: { entry: Entry; shared: number } | null = null;
    for (const entry of this.kept.values()) {
      const shared = sharedPrefix(entry.tokens, prompt);
      if (shared > (best?.shared ?? have + MIN_GAIN_TOKENS - 1)) best = { entry, shared };
    }
    if (!best) return false;
    try {
      await sequence.loadStateFromFile(this.stateFile(best.entry), { acceptRisk: true });
    } catch {
      // A file that cannot be read (or was made for a longer window) is dropped, not retried.
      this.drop(best.entry);
      return false;
    }
    best.entry.lastUsed = Date.now();
    this.stats.restores++;
    this.stats.restoredTokens += best.shared;
    return true;
  }

  /** Keeps `sequence`'s tokens (at shutdown: every sequence worth it, for the next start). */
  async save(sequence: LlamaContextSequence): Promise<void> {
    const tokens = [...sequence.contextTokens];
    if (tokens.length < MIN_CACHED_TOKENS) return;
    const entry: Entry = { id: `${Date.now().toString(36)}-${process.pid}-${this.next++}`, tokens, bytes: 0, lastUsed: Date.now() };
    try {
      const { fileSize } = await sequence.saveStateToFile(this.stateFile(entry));
      entry.bytes = fileSize;
      // One larger than the whole budget evicts nothing for nothing.
      if (fileSize > this.options.budget.bytes) throw new Error("larger than the whole budget");
      writeFileSync(this.tokensFile(entry), Buffer.from(Uint32Array.from(tokens).buffer));
    } catch {
      // No room (a full tmpfs, a budget smaller than one prompt): nothing is kept, and what was stays.
      this.remove(entry);
      return;
    }
    // A kept prompt this one extends (or repeats) says nothing more: this one replaces it, before
    // the budget looks for room.
    for (const kept of this.kept.values()) if (sharedPrefix(kept.tokens, tokens) === kept.tokens.length) this.drop(kept);
    this.options.budget.makeRoom(entry.bytes);
    this.kept.set(entry.id, entry);
    this.stats.saves++;
  }

  drop(entry: Entry): void {
    this.kept.delete(entry.id);
    this.remove(entry);
  }

  /** Whether what it keeps outlives the process. */
  get persistent(): boolean {
    return this.options.persistent;
  }

  /** Stops: a folder of the process's own is removed; a persistent one keeps its files. */
  close(): void {
    this.options.budget.remove(this);
    if (!this.options.persistent) rmSync(this.options.dir, { recursive: true, force: true });
  }

  private remove(entry: Entry): void {
    rmSync(this.stateFile(entry), { force: true });
    rmSync(this.tokensFile(entry), { force: true });
  }

  private stateFile(entry: Pick<Entry, "id">): string {
    return join(this.options.dir, `${entry.id}.state`);
  }

  private tokensFile(entry: Pick<Entry, "id">): string {
    return join(this.options.dir, `${entry.id}.tokens`);
  }

  /** The prompts an earlier run kept in a persistent folder (the newest first under the budget). */
  private readFolder(): void {
    const found: Entry[] = [];
    for (const name of readdirSync(this.options.dir)) {
      if (!name.endsWith(".tokens")) continue;
      const id = name.slice(0, -".tokens".length);
      try {
        const state = statSync(this.stateFile({ id }));
        const raw = readFileSync(join(this.options.dir, name));
        const tokens = Array.from(new Uint32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4)) as Token[];
        found.push({ id, tokens, bytes: state.size, lastUsed: state.mtimeMs });
      } catch {
        rmSync(join(this.options.dir, name), { force: true });
      }
    }
    for (const entry of found.sort((a, b) => b.lastUsed - a.lastUsed)) this.kept.set(entry.id, entry);
  }
}
