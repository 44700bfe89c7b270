// Where kept prompts go (engine/prompt-cache.ts) when no --cache-dir names a folder: in memory, a
// folder of this process's own on a RAM-backed tmpfs (/dev/shm) where there is one, removed when it
// stops (and, left by a process that died, at the next start); and how much of it they may take.
import { existsSync, readdirSync, rmSync, statfsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PREFIX = "oserve-prompts-";

/** The folder a process keeps its prompts in memory: /dev/shm where it is there, else the temporary folder. */
export function memoryCacheRoot(): string {
  const parent = shmUsable() ? "/dev/shm" : tmpdir();
  removeOrphans(parent);
  return join(parent, `${PREFIX}${process.pid}`);
}

/** Whether /dev/shm is there to use (Deno refuses device paths without --allow-all). */
function shmUsable(): boolean {
  try {
    return existsSync("/dev/shm") && statSync("/dev/shm").isDirectory();
  } catch {
    return false;
  }
}

/** Folders other oserve processes left, whose process is gone. */
function removeOrphans(parent: string): void {
  for (const name of safeList(parent)) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length));
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** At most half the free space of the filesystem under `dir` (a tmpfs is memory), and at most `wanted`. */
export function cacheBudget(dir: string, wanted: number): number {
  try {
    const { bavail, bsize } = statfsSync(existsSync(dir) ? dir : join(dir, ".."));
    return Math.min(wanted, Math.floor((bavail * bsize) / 2));
  } catch {
    return wanted;
  }
}
