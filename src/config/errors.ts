/** A bad flag, environment value or config file: reported as one line, never a stack trace. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Why a file or folder named by a flag could not be read, in a word where the system has one. */
export function unreadable(error: unknown, missing: "no such file" | "no such folder" = "no such file"): string {
  return (error as NodeJS.ErrnoException).code === "ENOENT" ? missing : (error as Error).message;
}
