// Where a start's time goes: named phases, each timed from the process's start (performance's time
// origin), printed on stderr in one line before the ready line when OSERVE_TRACE_STARTUP is set
// (`npm run bench:startup` reads it). Costs a performance.now() a phase otherwise, and nothing once
// the line is written (later loads mark their phases too).

const marks: Array<{ phase: string; at: number; since: number | undefined }> = [];
let described = false;

/**
 * The phase that just ended, at this moment. Its own time runs from the previous mark, or from
 * `since` for a phase that ran beside others (the server listens while llama.cpp loads the weights).
 */
export function startupMark(phase: string, since?: number): void {
  if (!described) marks.push({ phase, at: performance.now(), since });
}

/** `startup: imports 180 ms, config 2 ms, …, total 1890 ms`: each phase's own time, then the total since the process began. */
export function describeStartup(now = performance.now()): string {
  described = true;
  let last = 0;
  const phases = marks.map(({ phase, at, since }) => {
    const own = at - (since ?? last);
    last = Math.max(last, at);
    return `${phase} ${Math.round(own)} ms`;
  });
  return `startup: ${[...phases, `total ${Math.round(now)} ms`].join(", ")}`;
}

export function traceStartupWanted(env: Record<string, string | undefined> = process.env): boolean {
  return env.OSERVE_TRACE_STARTUP !== undefined && env.OSERVE_TRACE_STARTUP !== "" && env.OSERVE_TRACE_STARTUP !== "0";
}
