// How much memory a model may still take: what the kernel says is available (page cache it can drop
// included), less a container's limit where that is tighter.
import { readFileSync } from "node:fs";
import { freemem } from "node:os";

/** Bytes available now: /proc/meminfo's MemAvailable and the cgroup's room left on Linux, free memory elsewhere. */
export function availableMemory(): number {
  const kernel = memAvailable() ?? freemem();
  const cgroup = cgroupRoom();
  return cgroup === null ? kernel : Math.min(kernel, cgroup);
}

function memAvailable(): number | null {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** cgroup v2: memory.max less memory.current; null where there is no limit (or no cgroup v2). */
function cgroupRoom(): number | null {
  try {
    const max = readFileSync("/sys/fs/cgroup/memory.max", "utf8").trim();
    if (max === "max") return null;
    const current = Number(readFileSync("/sys/fs/cgroup/memory.current", "utf8").trim());
    return Math.max(0, Number(max) - current);
  } catch {
    return null;
  }
}
