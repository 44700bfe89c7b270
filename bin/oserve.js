#!/usr/bin/env node
// `oserve` from an npm install of this package (npm install -g, npm link, npx): runs the
// TypeScript entry through tsx, as `npm start` does.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
