// What an agent is told of the server it talks to, and where it finds the key.

/** What an agent needs to know of the server it talks to. */
export interface LaunchTarget {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** The key the server wants; any placeholder where it wants none. */
  apiKey: string;
  /** The model id the server reports. */
  model: string;
  /** Tokens one request may hold, prompt and output together. */
  window: number;
  /** The most tokens one answer should take. */
  maxOutput: number;
}

/** The environment variable Codex and OpenCode read the key from (Codex's provider `env_key`, OpenCode's `{env:…}`). */
export const LAUNCH_KEY_ENV = "OSERVE_LAUNCH_API_KEY";
