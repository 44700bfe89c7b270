// A prompt's text as tokens, as llama-server tokenizes one: special tokens' text read as them where
// asked, and the model's beginning token first where its vocabulary adds one.
import type { LlamaModel, Token } from "node-llama-cpp";

export function promptTokens(model: LlamaModel, text: string, { addSpecial, parseSpecial }: { addSpecial: boolean; parseSpecial: boolean }): Token[] {
  const tokens = model.tokenize(text, parseSpecial);
  const bos = model.tokens.bos;
  if (addSpecial && model.tokens.shouldPrependBosToken && bos != null && tokens[0] !== bos) tokens.unshift(bos);
  return tokens;
}
