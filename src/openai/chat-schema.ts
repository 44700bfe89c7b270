// The zod schema of POST /v1/chat/completions bodies: known fields typed, unknown ones let through
// (OpenAI's clients send many), so that a wrong type gets a 400 naming its param.
import { z } from "zod";
import { samplingFields } from "./sampling-schema.ts";

const textPart = z.object({ type: z.literal("text"), text: z.string() });
// Other part types (image_url, input_audio, file) parse here so that the error can name them.
export const contentPart = z.union([textPart, z.looseObject({ type: z.string() })]);
const content = z.union([z.string(), z.array(contentPart)]);

const toolCall = z.object({
  id: z.string(),
  type: z.literal("function"),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion("role", [
  z.looseObject({ role: z.literal("system"), content, name: z.string().optional() }),
  z.looseObject({ role: z.literal("developer"), content, name: z.string().optional() }),
  z.looseObject({ role: z.literal("user"), content, name: z.string().optional() }),
  z.looseObject({
    role: z.literal("assistant"),
    content: content.nullish(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).nullish(),
    /** The thought of this turn, as this server (llama-server, DeepSeek) sent it. */
    reasoning_content: z.string().nullish(),
  }),
  z.looseObject({ role: z.literal("tool"), content, tool_call_id: z.string() }),
]);

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();

const jsonObject = z.record(z.string(), z.unknown());

const tool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "a function name is 1 to 64 letters, digits, '_' or '-'"),
    description: z.string().optional(),
    parameters: jsonObject.optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(["auto", "none", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
]);

const responseFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({ name: z.string(), description: z.string().optional(), schema: jsonObject.optional(), strict: z.boolean().nullish() }),
  }),
]);

export const chatRequestSchema = z.looseObject({
  model: z.string().optional(),
  messages: z.array(message).min(1, "messages must hold at least one message"),
  max_tokens: nullable(z.int().min(1)),
  max_completion_tokens: nullable(z.int().min(1)),
  ...samplingFields,
  logprobs: nullable(z.boolean()),
  top_logprobs: nullable(z.int().min(0).max(20)),
  n: nullable(z.int()),
  user: z.string().optional(),
  tools: nullable(z.array(tool)),
  tool_choice: nullable(toolChoice),
  parallel_tool_calls: nullable(z.boolean()),
  response_format: nullable(responseFormat),
  reasoning_effort: nullable(z.enum(["none", "minimal", "low", "medium", "high", "xhigh"])),
  /**
   * Extra arguments for the model's chat template, as llama-server and vLLM take them; among them
   * their way to switch a Qwen3-style model's thinking: `{enable_thinking: false}`.
   */
  /** Counted before the schema reads the body (request/counts.ts). */
  chat_template_kwargs: nullable(z.looseObject({ enable_thinking: z.boolean().optional() })),
});

export type ChatRequestBody = z.infer<typeof chatRequestSchema>;
export type ChatMessageBody = z.infer<typeof message>;
