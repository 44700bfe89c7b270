// `oserve run [flags] -- CMD ARGS…`: a server on a free loopback port, CMD run against it (its
// address and a key in OPENAI_*/ANTHROPIC_* variables), then stopped; exits with CMD's exit code.
import { defineCommand } from "citty";
import { startServer } from "../app/start.ts";
import { runBeside } from "../child-command.ts";
import { DISK } from "../config/disk.ts";
import { ConfigError } from "../config/errors.ts";
import { resolveConfig } from "../config/resolve.ts";
import { parseFlags, serverArgs, splitAtDashes } from "./args.ts";

export const run = defineCommand({
  meta: { name: "run", description: "Start a server on a free port, run the command after `--` against it (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OSERVE_URL set), then stop: oserve run --model m.gguf -- npm test" },
  args: serverArgs(),
  async run({ rawArgs }) {
    const { own, child } = splitAtDashes(rawArgs);
    const [cmd, ...cmdArgs] = child;
    if (!cmd) throw new ConfigError("oserve run needs a command after '--', e.g. oserve run --model m.gguf -- npm test");
    // A free loopback port unless told otherwise: a test fixture must not collide with anything.
    const config = resolveConfig(parseFlags(own).flags, { OSERVE_PORT: "0", ...process.env }, DISK);
    const code = await runBeside(async (onListening) => {
      const started = await startServer(config, {
        onListening,
        // stdout belongs to CMD: the ready line goes to stderr.
        announce: (line) => console.error(line),
      });
      const key = config.server.apiKey ?? "oserve";
      const env = {
        ...process.env,
        OSERVE_URL: started.url,
        OPENAI_BASE_URL: `${started.url}/v1`,
        OPENAI_API_KEY: key,
        ANTHROPIC_BASE_URL: started.url,
        ANTHROPIC_API_KEY: key,
      };
      return { child: { command: cmd, args: cmdArgs, env }, stop: started.stop };
    });
    process.exit(code);
  },
});
