// Where llama.cpp put a model's weights, read from its load log: which buffers, how large, and
// whether any of them holds weights repacked for this CPU (AMX, llama.cpp's CPU_REPACK layouts).
// PURE: the adapter feeds it log lines while the model loads.

export interface WeightBuffer {
  /** llama.cpp's buffer type name: CPU_Mapped, CPU, AMX, CPU_REPACK, CUDA0, … */
  name: string;
  mib: number;
}

const BUFFER_LINE = /^load_tensors:\s+(\S+) model buffer size =\s+([\d.]+) MiB/;

/** One of llama.cpp's `load_tensors: AMX model buffer size = 559.41 MiB` lines; null for any other. */
export function parseWeightBuffer(logLine: string): WeightBuffer | null {
  const match = BUFFER_LINE.exec(logLine.trim());
  return match ? { name: match[1]!, mib: Number(match[2]) } : null;
}

/** A buffer of weights in a layout made for this CPU at load: llama.cpp's "extra buffer types". */
export function isRepacked(buffer: WeightBuffer): boolean {
  return buffer.name === "AMX" || (buffer.name.startsWith("CPU_") && buffer.name !== "CPU_Mapped");
}

/** The startup line: `weights: AMX 559 MiB (repacked for this CPU), CPU_Mapped 487 MiB`. */
export function describeWeights(buffers: readonly WeightBuffer[]): string {
  if (buffers.length === 0) return "weights: buffers not reported by this engine";
  const parts = buffers.map((buffer) => `${buffer.name} ${Math.round(buffer.mib)} MiB${isRepacked(buffer) ? " (repacked for this CPU)" : ""}`);
  return `weights: ${parts.join(", ")}`;
}
