#!/usr/bin/env node
// The single entry (npm start, bin/oserve.js, bun build --compile): the CLI (cli/main.ts).
import { exitOnError, main } from "./cli/main.ts";
import { startupMark } from "./telemetry/startup-trace.ts";

startupMark("imports");
main(process.argv.slice(2)).catch(exitOnError);
