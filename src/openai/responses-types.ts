// Shapes of OpenAI's Responses API, as oserve sends them.

export interface OutputText {
  type: "output_text";
  text: string;
  annotations: [];
  logprobs: [];
}

export type ItemStatus = "in_progress" | "completed" | "incomplete";

export interface MessageItem {
  type: "message";
  id: string;
  status: ItemStatus;
  role: "assistant";
  content: OutputText[];
}

export interface FunctionCallItem {
  type: "function_call";
  id: string;
  call_id: string;
  name: string;
  /** The namespace tool the function belongs to, when it came from one. */
  namespace?: string;
  arguments: string;
  status: ItemStatus;
}

export interface ReasoningText {
  type: "reasoning_text";
  text: string;
}

/** The model's thought. `encrypted_content` (when the request included it) carries it back sealed. */
export interface ReasoningItem {
  type: "reasoning";
  id: string;
  status: ItemStatus;
  summary: [];
  content: ReasoningText[];
  encrypted_content?: string;
}

export type OutputItem = ReasoningItem | MessageItem | FunctionCallItem;

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

/** What a response echoes of its request: the same in every snapshot of one response. */
export interface ResponseEcho {
  id: string;
  created_at: number;
  model: string;
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  store: boolean;
  temperature: number;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number;
}

export interface ResponseObject extends ResponseEcho {
  object: "response";
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" } | null;
  output: OutputItem[];
  truncation: "disabled";
  usage: ResponseUsage | null;
}
