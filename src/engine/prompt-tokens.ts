// A prompt's text as tokens, as llama-server tokenizes one: special tokens' text read as them where
// asked, and the model's beginning token first where its vocabulary adds one. Tokenized on libuv's
// thread pool where the engine build has its tokenizer there (native/tokenize.cpp): a prompt of a
// million tokens takes seconds, which the event loop (every other request, /health) never waits out.
import type { LlamaModel, Token } from "node-llama-cpp";
import { asyncTokenizer } from "./chat-layer/native.ts";
import { ContextOverflowError } from "./errors.ts";

export interface TokenizeOptions {
  /** Put the model's beginning token first, where its vocabulary adds one. */
  addSpecial: boolean;
  /** Read special tokens' text (`<|im_start|>`) as those tokens. */
  parseSpecial: boolean;
  /**
   * The context's size, for a prompt that must fit in it: a text far longer is refused by a count of
   * its beginning alone (ContextOverflowError, `atLeast`), not tokenized whole (7 MB: 2 s of a core).
   */
  contextSize?: number;
}

/** Past this many characters a token of context, a prompt's beginning is counted first. */
const HEAD_CHARS_PER_TOKEN = 8;
/** Tokens a cut may add that the whole text would not have (a piece split in two, a leading space). */
const CUT_SLACK = 8;

export async function promptTokens(model: LlamaModel, text: string, options: TokenizeOptions): Promise<Token[]> {
  const tokenize = asyncTokenizer(model);
  if (tokenize && options.contextSize !== undefined) await refuseFarTooLong(text, options.contextSize, (head) => tokenize(head, options.parseSpecial));
  const ids: ArrayLike<number> = text === "" ? [] : tokenize ? await tokenize(text, options.parseSpecial) : model.tokenize(text, options.parseSpecial);
  const bos = model.tokens.bos;
  const first = options.addSpecial && model.tokens.shouldPrependBosToken && bos != null && ids[0] !== bos ? [bos] : [];
  // One array of the final length, filled once (a million tokens: no unshift that moves them all).
  const tokens = new Array<Token>(first.length + ids.length);
  for (let at = 0; at < first.length; at++) tokens[at] = first[at]!;
  for (let at = 0; at < ids.length; at++) tokens[first.length + at] = ids[at] as Token;
  return tokens;
}

/**
 * A text many times longer than the context may hold is counted by its beginning (cut at whitespace,
 * so that no word or special token is split): where that alone is past the context, the whole text,
 * which has at least those tokens, is refused; else it is tokenized whole as any other.
 */
async function refuseFarTooLong(text: string, contextSize: number, count: (head: string) => Promise<ArrayLike<number>>): Promise<void> {
  const headChars = contextSize * HEAD_CHARS_PER_TOKEN;
  if (text.length <= 2 * headChars) return;
  const cut = text.lastIndexOf(" ", headChars);
  const head = text.slice(0, cut > headChars / 2 ? cut : headChars);
  const counted = (await count(head)).length - CUT_SLACK;
  if (counted >= contextSize) throw new ContextOverflowError(counted, contextSize, true);
}

/**
 * A raw prompt's tokens for LlamaCompletion (which puts the beginning token first): special tokens'
 * text read as them, as llama-server reads its prompts, off the event loop. node-llama-cpp's
 * `tokenize(text, true, "trimLeadingSpace")`, used before, tokenized and detokenized the whole
 * prompt on the event loop (1.9 s for 7 MB); its trimming of a tokenizer's added space gives the
 * same tokens as this on every test model and on llama.cpp's SentencePiece vocabularies
 * (test/e2e/engine/prompt-tokens.test.ts).
 */
export function rawPromptTokens(model: LlamaModel, text: string, contextSize?: number): Promise<Token[]> {
  return promptTokens(model, text, { addSpecial: false, parseSpecial: true, ...(contextSize === undefined ? {} : { contextSize }) });
}
