/** A bad flag, environment value or config file: reported as one line, never a stack trace. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
