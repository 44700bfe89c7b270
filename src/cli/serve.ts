// `oserve [flags]`: the server, until SIGINT or SIGTERM.
import { defineCommand } from "citty";
import { startServer } from "../app/start.ts";
import { DISK } from "../config/disk.ts";
import { resolveConfig } from "../config/resolve.ts";
import { parseFlags, serverArgs, splitAtDashes } from "./args.ts";

export const serve = defineCommand({
  meta: { name: "serve", description: "Serve the models (the default command: `oserve --model m.gguf` is `oserve serve --model m.gguf`)" },
  args: serverArgs(),
  async run({ rawArgs }) {
    const { own } = splitAtDashes(rawArgs);
    const config = resolveConfig(parseFlags(own).flags, process.env, DISK);
    let stopping = false;
    const stop = async (stopServer: () => Promise<void>) => {
      if (stopping) return;
      stopping = true;
      try {
        await stopServer();
        process.exit(0);
      } catch (error) {
        console.error(`oserve: shutdown failed: ${(error as Error)?.message ?? error}`);
        process.exit(1);
      }
    };
    await startServer(config, {
      // Signal handlers from the moment it listens: SIGTERM while the model loads exits 0 too.
      onListening: (stopServer) => {
        process.on("SIGINT", () => void stop(stopServer));
        process.on("SIGTERM", () => void stop(stopServer));
      },
      announce: (line) => console.log(line),
    });
  },
});
