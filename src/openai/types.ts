// Response shapes of OpenAI's chat completions API, as oserve sends them.
import type { ChatFinishReason as FinishReason } from "./finish-reason.ts";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** How many prompt tokens were reused from an earlier request's evaluation. */
  prompt_tokens_details?: { cached_tokens: number };
  /** Of the completion tokens, those the model spent thinking. */
  completion_tokens_details?: { reasoning_tokens: number };
}

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    /** `reasoning_content`: the model's thought, as llama-server and DeepSeek name it (with `--reasoning-format separate`). */
    message: { role: "assistant"; content: string | null; reasoning_content?: string; refusal: null; tool_calls?: ToolCall[] };
    logprobs: null;
    finish_reason: FinishReason;
  }>;
  usage: Usage;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

export interface ChunkDelta {
  role?: "assistant";
  content?: string;
  reasoning_content?: string;
  tool_calls?: ToolCallDelta[];
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: Array<{ index: 0; delta: ChunkDelta; logprobs: null; finish_reason: FinishReason | null }>;
  /** Present (null until the last chunk) only when the client asked for usage. */
  usage?: Usage | null;
}

export interface ModelList {
  object: "list";
  /** `max_model_len` (vLLM's name): the tokens one request may hold, prompt and output; null while the model loads. */
  data: Array<{ id: string; object: "model"; created: number; owned_by: string; max_model_len: number | null }>;
}

/** Minted once per stream, before its first frame; every chunk of the stream carries it. */
export interface StreamIdentity {
  id: string;
  created: number;
  model: string;
}
