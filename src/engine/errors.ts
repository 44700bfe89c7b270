/**
 * The prompt alone fills the context: the request can never run as sent. The message opens as
 * OpenAI's does ("This model's maximum context length is…"), which clients match to compact or trim.
 */
export class ContextOverflowError extends Error {
  constructor(
    /** The prompt's tokens; with `atLeast`, those of its beginning alone (the rest was never tokenized). */
    readonly promptTokens: number,
    readonly contextSize: number,
    readonly atLeast = false,
  ) {
    super(
      `This model's maximum context length is ${contextSize} tokens per request (prompt and output together), ` +
        `but the prompt is ${atLeast ? "more than " : ""}${promptTokens} tokens long. Shorten the messages or start oserve with a larger --ctx-size.`,
    );
    this.name = "ContextOverflowError";
  }

  /** The most tokens a prompt may take: one must be left for the answer. */
  get maxPromptTokens(): number {
    return this.contextSize - 1;
  }
}

/** No slot is free and the wait queue is full. */
export class QueueFullError extends Error {
  constructor(readonly queueLimit: number) {
    super(`The server is busy: all slots are in use and ${queueLimit} requests are already waiting. Retry later.`);
    this.name = "QueueFullError";
  }
}

/** A request value the model cannot take (a token id beyond its vocabulary, say). */
export class InvalidInputError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
    this.name = "InvalidInputError";
  }
}

/** node-llama-cpp could not build a grammar for the requested output format (a schema it cannot take). */
export class FormatGrammarError extends Error {
  constructor(message: string) {
    super(`the grammar for this schema could not be built: ${message}`);
    this.name = "FormatGrammarError";
  }
}

/** An error's message, whatever was thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
