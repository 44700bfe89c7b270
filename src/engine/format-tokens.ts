// PURE: the tokens of a model's chat format (`<|im_start|>`, `<think>`, `</think>`, `<tool_call>`,
// Harmony's `<|start|>`, `<|channel|>`, `<|message|>`, …), which never belong in answer text.
import type { Token } from "node-llama-cpp";

/** GGUF's `tokenizer.ggml.token_type` values of such tokens. */
const CONTROL = 3;
const USER_DEFINED = 4;

/**
 * The vocabulary's control and user-defined (added) tokens, from the GGUF's token types. llama.cpp
 * renders user-defined tokens as their text even when special tokens are not asked for (and turns
 * some control tokens, such as Harmony's, into user-defined ones when it loads), so a model that
 * writes one where its format does not expect it (after a thought budget closed its thought, or lost
 * in a long prompt) would show the format's markup in its answer. None if the file gives no types.
 */
export function formatTokens(tokenTypes: unknown): ReadonlySet<Token> {
  const tokens = new Set<Token>();
  if (!Array.isArray(tokenTypes)) return tokens;
  tokenTypes.forEach((type, token) => {
    if (type === CONTROL || type === USER_DEFINED) tokens.add(token as Token);
  });
  return tokens;
}
