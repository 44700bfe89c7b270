// `oserve launch claude|codex|opencode [oserve flags] [-- agent args]`: starts oserve on a free port (or
// reads one already running, `--url`), then the agent, configured for it; the agent's stdio and
// exit code pass through, and the server stops when the agent exits.
import { accessSync, constants as fs, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { startServer } from "../app/start.ts";
import { runBeside } from "../child-command.ts";
import { DISK } from "../config/disk.ts";
import { ConfigError } from "../config/errors.ts";
import type { RawFlags } from "../config/flags.ts";
import { resolveApiKey, resolveConfig, type ConfigIO } from "../config/resolve.ts";
import { defaultModel } from "../config/types.ts";
import { AGENT_MIN_WINDOW, AGENT_TITLE, AGENTS, agentCommand, BINARY, compactionThreshold, defaultOutputCap, INSTALL, windowWarning, type AgentName, type LaunchTarget } from "./agents.ts";

type Env = Record<string, string | undefined>;

const isAgent = (name: string): name is AgentName => (AGENTS as readonly string[]).includes(name);

/** What `oserve launch` was asked for, its command line read (cli/launch.ts). */
export interface LaunchRequest {
  agent: string;
  /** oserve's flags (for the server it starts, or only the key with `url`). */
  flags: RawFlags;
  /** An oserve already running (`--url`); null: start one. */
  url: string | null;
  /** What followed `--`: the agent's own arguments. */
  agentArgs: string[];
}

/** Flags that still mean something with --url: the key, and a config file that may hold it. */
const WITH_URL = new Set(["api-key", "api-key-file", "config"]);

export async function launch({ agent, flags, url, agentArgs }: LaunchRequest, env: Env = process.env, io: ConfigIO = DISK): Promise<number> {
  if (!isAgent(agent)) {
    throw new ConfigError(`oserve launch needs an agent: ${AGENTS.join(", ")} (e.g. oserve launch claude --model m.gguf -- -p "Hello"), not '${agent}'`);
  }
  const binary = findAgent(agent, env);
  // The agent's files (Codex's model catalog), gone once it exits.
  const scratch = mkdtempSync(join(tmpdir(), "oserve-launch-"));
  try {
    return await launchBeside(agent, binary, { flags, url, agentArgs }, env, io, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function launchBeside(agent: AgentName, binary: string, { flags, url, agentArgs }: Omit<LaunchRequest, "agent">, env: Env, io: ConfigIO, scratch: string): Promise<number> {
  return runBeside(async (onListening) => {
    if (url !== null) {
      const extra = Object.keys(flags).find((name) => !WITH_URL.has(name));
      if (extra) throw new ConfigError(`with --url, oserve launch starts no server: '--${extra === "models" ? "model" : extra}' has nothing to apply to (only --api-key, --api-key-file and --config go with --url)`);
      const target = await readTarget(serverUrl(url), resolveApiKey(flags, env, io) ?? "oserve");
      announce(agent, target);
      return { child: agentCommand(agent, binary, target, agentArgs, env, scratch), stop: async () => {} };
    }
    // A free loopback port unless told otherwise.
    const config = resolveConfig(flags, { OSERVE_PORT: "0", ...env }, io);
    // The agent's terminal is the user's: oserve's lines go to stderr, before the agent starts.
    // The server holds every answer to it too (where the model's --max-tokens sets no cap): Codex has
    // no output cap of its own, and a model that does not stop would write to the window's end.
    const started = await startServer(config, { onListening, announce: (line) => console.error(line) }, { minContextSize: AGENT_MIN_WINDOW[agent], outputCap: defaultOutputCap });
    const maxOutput = started.maxTokens ?? defaultModel(config).settings.maxTokens ?? defaultOutputCap(started.contextSize);
    const target: LaunchTarget = { url: started.url, apiKey: config.server.apiKey ?? "oserve", model: config.server.defaultModel, window: started.contextSize, maxOutput };
    announce(agent, target);
    return { child: agentCommand(agent, binary, target, agentArgs, env, scratch), stop: started.stop };
  });
}

/** What the agent is told, on stderr before it starts: the window, the output cap, where it compacts. */
function announce(agent: AgentName, target: LaunchTarget): void {
  console.error(`oserve: ${agent}: window ${target.window} tokens, answers of at most ${target.maxOutput}, compacts past ${compactionThreshold(agent, target)}`);
  const warning = windowWarning(agent, target);
  if (warning) console.error(`oserve: ${warning}`);
}

/** `--url`'s address, without a trailing `/` or `/v1`. */
function serverUrl(url: string): string {
  if (!/^https?:\/\/[^/]+/.test(url)) throw new ConfigError(`--url must be an oserve's address, such as http://127.0.0.1:8080, not '${url}'`);
  return url.replace(/\/+$/, "").replace(/\/v1$/, "");
}

/** What a running oserve says of itself: its model, window and output cap, from /v1/models in Anthropic's shape. */
async function readTarget(url: string, apiKey: string): Promise<LaunchTarget> {
  let response: Response;
  try {
    response = await fetch(`${url}/v1/models`, { headers: { "anthropic-version": "2023-06-01", authorization: `Bearer ${apiKey}` } });
  } catch (error) {
    throw new ConfigError(`--url ${url}: no server answers there (${(error as Error).cause ?? (error as Error).message})`);
  }
  if (!response.ok) throw new ConfigError(`--url ${url}: GET /v1/models answered ${response.status}${response.status === 401 ? " (give its key with --api-key)" : ""}`);
  const body = (await response.json()) as { data?: Array<{ id?: unknown; max_input_tokens?: unknown; max_tokens?: unknown }> };
  const model = body.data?.[0];
  if (typeof model?.id !== "string" || typeof model.max_input_tokens !== "number") {
    throw new ConfigError(`--url ${url}: not an oserve whose model has loaded (its /v1/models names no window); retry once it is ready`);
  }
  const window = model.max_input_tokens;
  const cap = typeof model.max_tokens === "number" && model.max_tokens < window ? model.max_tokens : defaultOutputCap(window);
  return { url, apiKey, model: model.id, window, maxOutput: cap };
}

/** The agent's binary: the path its env variable names, else the first on PATH. */
function findAgent(agent: AgentName, env: Env): string {
  const { name, env: override } = BINARY[agent];
  if (env[override]) return env[override]!;
  const extensions = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD").split(";") : [""];
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    for (const extension of extensions) {
      const candidate = join(dir, name + extension);
      try {
        accessSync(candidate, fs.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  throw new ConfigError(`${AGENT_TITLE[agent]} is not installed here (no '${name}' on PATH; ${override} may name it): ${INSTALL[agent]}`);
}
