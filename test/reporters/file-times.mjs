// A node:test reporter that prints, after the run, the seconds each test file took (the sum of its
// top-level tests and suites, hooks included), longest first: where `npm test`'s time goes.
import { relative } from "node:path";

export default async function* fileTimes(source) {
  const seconds = new Map();
  for await (const event of source) {
    if ((event.type !== "test:pass" && event.type !== "test:fail") || event.data.nesting !== 0 || !event.data.file) continue;
    const file = relative(process.cwd(), event.data.file);
    seconds.set(file, (seconds.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0) / 1000);
  }
  const rows = [...seconds].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, s]) => sum + s, 0);
  yield `\nseconds per test file (${total.toFixed(0)} s in all):\n`;
  for (const [file, s] of rows) yield `${s.toFixed(1).padStart(7)}  ${file}\n`;
}
