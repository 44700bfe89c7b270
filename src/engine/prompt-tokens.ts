// A prompt's text as tokens, as llama-server tokenizes one: special tokens' text read as them where
// asked, and the model's beginning token first where its vocabulary adds one. Tokenized on libuv's
// thread pool where the engine build has its tokenizer there (native/tokenize.cpp): a prompt of a
// million tokens takes seconds, which the event loop (every other request, /health) never waits out.
import type { LlamaModel, Token } from "node-llama-cpp";
import { addonModel } from "./chat-layer/native.ts";

export interface TokenizeOptions {
  /** Put the model's beginning token first, where its vocabulary adds one. */
  addSpecial: boolean;
  /** Read special tokens' text (`<|im_start|>`) as those tokens. */
  parseSpecial: boolean;
}

type AsyncTokenize = (model: unknown, text: string, parseSpecial: boolean) => Promise<Uint32Array>;

/** The engine build's tokenizer on the thread pool, or null (node-llama-cpp's prebuilt). */
function asyncTokenizer(model: LlamaModel): AsyncTokenize | null {
  const bindings = (model.llama as unknown as { _bindings?: { oserveTokenize?: AsyncTokenize } })._bindings;
  return bindings?.oserveTokenize ?? null;
}

export async function promptTokens(model: LlamaModel, text: string, options: TokenizeOptions): Promise<Token[]> {
  const tokenize = asyncTokenizer(model);
  const ids: ArrayLike<number> = text === "" ? [] : tokenize ? await tokenize(addonModel(model), text, options.parseSpecial) : model.tokenize(text, options.parseSpecial);
  const bos = model.tokens.bos;
  const first = options.addSpecial && model.tokens.shouldPrependBosToken && bos != null && ids[0] !== bos ? [bos] : [];
  // One array of the final length, filled once (a million tokens: no unshift that moves them all).
  const tokens = new Array<Token>(first.length + ids.length);
  for (let at = 0; at < first.length; at++) tokens[at] = first[at]!;
  for (let at = 0; at < ids.length; at++) tokens[first.length + at] = ids[at] as Token;
  return tokens;
}
