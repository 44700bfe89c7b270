// Where a start's time goes: named phases, each timed from the process's start (performance's time
// origin), printed on stderr in one line before the ready line when OSERVE_TRACE_STARTUP is set
// (`npm run bench:startup` reads it). Costs a performance.now() a phase otherwise.

const marks: Array<[phase: string, atMs: number]> = [];

/** The phase that just ended, at this moment. */
export function startupMark(phase: string): void {
  marks.push([phase, performance.now()]);
}

/** `startup: imports 180 ms, config 2 ms, …, total 1890 ms`: each phase's own time, then the total since the process began. */
export function describeStartup(now = performance.now()): string {
  let last = 0;
  const phases = marks.map(([phase, at]) => {
    const own = at - last;
    last = at;
    return `${phase} ${Math.round(own)} ms`;
  });
  return `startup: ${[...phases, `total ${Math.round(now)} ms`].join(", ")}`;
}

export function traceStartupWanted(env: Record<string, string | undefined> = process.env): boolean {
  return env.OSERVE_TRACE_STARTUP !== undefined && env.OSERVE_TRACE_STARTUP !== "" && env.OSERVE_TRACE_STARTUP !== "0";
}
