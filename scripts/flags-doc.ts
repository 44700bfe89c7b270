// Usage: tsx scripts/flags-doc.ts [--check]
// Writes docs/flags.md and the README's short flag table (between <!-- flags:main --> and
// <!-- /flags:main -->) from the one flag table, src/config/flags.ts; --check exits 1 where either is
// stale instead (test/config/flags-doc.test.ts runs the same check).
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { envName, FLAGS, type FlagName, type FlagSpec } from "../src/config/flags.ts";

const ROOT = resolve(import.meta.dirname, "..");
export const FLAGS_DOC = resolve(ROOT, "docs/flags.md");
export const README = resolve(ROOT, "README.md");

const cell = (text: string) => text.replaceAll("|", "\\|");
const entries = () => Object.entries(FLAGS) as Array<[FlagName, FlagSpec]>;

/** docs/flags.md: every flag, its variable, default, whether a model may set it, what it does. */
export function flagsDoc(): string {
  const rows = entries().map(([name, flag]) => `| \`--${name}\` | \`${envName(name)}\` | ${flag.default === undefined ? "" : `\`${flag.default}\``} | ${flag.perModel ? "yes" : ""} | ${cell(flag.description)}${flag.see ? ` ([more](${flag.see}))` : ""} |`);
  return [
    "# Flags",
    "",
    "[← README](../README.md). Generated from `src/config/flags.ts` by `npx tsx scripts/flags-doc.ts`; a test fails when it is stale.",
    "",
    "Every flag is also an environment variable and a key of the `--config` TOML file (its long name). A flag wins over the",
    "variable, which wins over the file, which wins over the default; an empty variable counts as unset. Flags marked",
    "*per model* may also be set in a config file's `[models.NAME]` table for that model alone ([models.md](models.md)).",
    "`oserve run` and `oserve launch` take the same flags; `oserve launch` also takes `--url`.",
    "",
    "| Flag | Variable | Default | Per model | What it does |",
    "|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

/** The README's short table: the flags marked main, in the table's order. */
export function mainFlagsTable(): string {
  const rows = entries().flatMap(([name, flag]) => (flag.main ? [`| \`--${name} ${flag.main.value}\` | ${cell(flag.main.summary)} |`] : []));
  return ["| Flag | What it does |", "|---|---|", ...rows].join("\n");
}

const OPEN = "<!-- flags:main -->\n";
const CLOSE = "<!-- /flags:main -->";

/** The README with its short table regenerated. */
export function readmeWithTable(readme: string): string {
  const start = readme.indexOf(OPEN);
  const end = readme.indexOf(CLOSE);
  if (start < 0 || end < start) throw new Error(`README.md has no ${OPEN.trim()} … ${CLOSE} block`);
  return `${readme.slice(0, start + OPEN.length)}${mainFlagsTable()}\n${readme.slice(end)}`;
}

if (import.meta.main ?? process.argv[1] === import.meta.filename) {
  const check = process.argv.includes("--check");
  const readme = readFileSync(README, "utf8");
  const stale = [
    [FLAGS_DOC, readFileSync(FLAGS_DOC, { encoding: "utf8", flag: "a+" }), flagsDoc()],
    [README, readme, readmeWithTable(readme)],
  ].filter(([, now, wanted]) => now !== wanted);
  for (const [path, , wanted] of stale) {
    if (check) console.error(`${path} is stale: npx tsx scripts/flags-doc.ts`);
    else writeFileSync(path!, wanted!);
  }
  if (check && stale.length > 0) process.exit(1);
}
