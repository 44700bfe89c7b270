// The tokens of a model's chat format (`<|im_start|>`, `<think>`, `</think>`, `<tool_call>`,
// Harmony's `<|start|>`, `<|channel|>`, `<|message|>`, …), which never belong in answer text.
import type { ChatWrapper, LlamaText, Token } from "node-llama-cpp";

/** GGUF's `tokenizer.ggml.token_type` values. */
const CONTROL = 3;
const USER_DEFINED = 4;

/** The vocabulary's control tokens, from GGUF's `tokenizer.ggml.token_type` (none where it does not say). */
export function controlTokens(tokenTypes: unknown): Set<Token> {
  const tokens = new Set<Token>();
  if (Array.isArray(tokenTypes)) tokenTypes.forEach((type, token) => type === CONTROL && tokens.add(token as Token));
  return tokens;
}

/**
 * The vocabulary's control tokens, and the added (user-defined) tokens that the wrapper's own
 * markers are made of (thought and comment segments, function calls and results). llama.cpp renders
 * user-defined tokens as their text even when special tokens are not asked for (and turns some
 * control tokens, such as Harmony's, into user-defined ones when it loads), so a model that writes
 * one where its format does not expect it (after a thought budget closed its thought, or lost in a
 * long prompt) would show the format's markup in its answer. Other added tokens (Gemma's runs of
 * spaces, its HTML tags) are ordinary text. `tokenize` reads special tokens in the markers.
 */
export function formatTokens(tokenTypes: unknown, wrapper: ChatWrapper, tokenize: (marker: string | LlamaText) => Token[]): ReadonlySet<Token> {
  const tokens = controlTokens(tokenTypes);
  if (!Array.isArray(tokenTypes)) return tokens;
  const { segments, functions } = wrapper.settings;
  const markers = [
    segments?.thought?.prefix,
    segments?.thought?.suffix,
    segments?.comment?.prefix,
    segments?.comment?.suffix,
    functions.call.prefix,
    functions.call.paramsPrefix,
    functions.call.suffix,
    functions.result.prefix,
    functions.result.suffix,
  ];
  for (const marker of markers) {
    if (marker === undefined || (typeof marker === "object" && "type" in marker)) continue;
    for (const token of tokenize(marker)) if (tokenTypes[token] === USER_DEFINED) tokens.add(token);
  }
  return tokens;
}
