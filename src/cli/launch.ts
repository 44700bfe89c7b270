// `oserve launch AGENT [flags] [-- agent args]`: a coding agent run against oserve (src/launch/).
import { defineCommand } from "citty";
import { AGENTS } from "../launch/agents.ts";
import { launch as launchAgent } from "../launch/launch.ts";
import { parseFlags, serverArgs, splitAtDashes } from "./args.ts";

const URL_FLAG = { url: "An oserve already running (e.g. http://127.0.0.1:8080): start none, point the agent there; only --api-key, --api-key-file and --config go with it" };

export const launch = defineCommand({
  meta: { name: "launch", description: `Run a coding agent (${AGENTS.join(" | ")}) against a server started for it (or --url), configured for its window and output cap; what follows \`--\` is the agent's` },
  args: { agent: { type: "positional", description: `The agent: ${AGENTS.join(" | ")}`, required: false }, ...serverArgs(URL_FLAG) },
  async run({ rawArgs }) {
    const { own, child } = splitAtDashes(rawArgs);
    const { flags, extra, positionals } = parseFlags(own, { extra: URL_FLAG, maxPositionals: 1 });
    process.exit(await launchAgent({ agent: positionals[0] ?? "", flags, url: extra.url ?? null, agentArgs: child }));
  },
});
