// How many items a request's collections hold, counted before any schema reads one of them. A
// schema's work is some microseconds an item (zod checks every entry before it checks how many
// there are): 100,000 messages or 200,000 logit_bias entries held the event loop for most of a
// second before the 400. Past these counts the answer is a 400 at once. PURE.
import { invalidParam } from "../errors/api-error.ts";

/** How many of one collection (an array's items, an object's keys) a request may hold. */
export interface CountLimit {
  max: number;
  /** What is counted, plural ("messages", "logit_bias entries"). */
  noun: string;
  /** The error's code. */
  code: string;
}

/** Most tools one request may offer: well past any agent's (Claude Code with many MCP servers sends a few hundred). */
export const MAX_TOOLS = 1024;
/** Most messages (or Responses input items) in one request: a 256k-token conversation holds a few thousand. */
export const MAX_MESSAGES = 16_384;
/** Most logit_bias entries: a ban list of every token of a script (CJK, digits) fits. */
export const MAX_LOGIT_BIAS = 16_384;
/** Most stop strings (llama-server takes any number; OpenAI takes 4). */
export const MAX_STOPS = 16;
/** Most prompts in one /v1/completions request. */
export const MAX_PROMPTS = 64;
/** Most inputs in one /v1/embeddings request (OpenAI's limit). */
export const MAX_EMBEDDING_INPUTS = 2048;
/** Most chat_template_kwargs arguments one request may pass. */
export const MAX_TEMPLATE_KWARGS = 64;

export const TOOLS: CountLimit = { max: MAX_TOOLS, noun: "tools", code: "too_many_tools" };
export const MESSAGES: CountLimit = { max: MAX_MESSAGES, noun: "messages", code: "too_many_messages" };
export const INPUT_ITEMS: CountLimit = { max: MAX_MESSAGES, noun: "input items", code: "too_many_messages" };
export const LOGIT_BIAS: CountLimit = { max: MAX_LOGIT_BIAS, noun: "logit_bias entries", code: "too_many_logit_bias" };
export const STOPS: CountLimit = { max: MAX_STOPS, noun: "stop strings", code: "too_many_stops" };
export const PROMPTS: CountLimit = { max: MAX_PROMPTS, noun: "prompts", code: "too_many_prompts" };
export const EMBEDDING_INPUTS: CountLimit = { max: MAX_EMBEDDING_INPUTS, noun: "inputs", code: "too_many_inputs" };
export const TEMPLATE_KWARGS: CountLimit = { max: MAX_TEMPLATE_KWARGS, noun: "chat_template_kwargs arguments", code: "too_many_template_kwargs" };

/** A 400 naming the field whose collection holds more than its limit; fields that are absent or not collections pass (the schema says what is wrong with them). */
export function checkCounts(body: unknown, limits: Readonly<Record<string, CountLimit>>): void {
  if (typeof body !== "object" || body === null) return;
  for (const [field, limit] of Object.entries(limits)) checkCount(countOf((body as Record<string, unknown>)[field]), field, limit);
}

/** A 400 naming `param` where `count` is past its limit (a count made elsewhere: a namespace's functions, say). */
export function checkCount(count: number, param: string, limit: CountLimit): void {
  if (count > limit.max) throw invalidParam(param, `${count} ${limit.noun} is more than this server takes in one request (${limit.max}).`, limit.code);
}

/** An array's length or an object's key count; 0 for anything else. */
function countOf(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  if (typeof value === "object" && value !== null) return Object.keys(value).length;
  return 0;
}
