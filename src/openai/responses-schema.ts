// The zod schema of POST /v1/responses bodies: what oserve acts on is typed, and the many fields
// agent clients add (reasoning, include, prompt_cache_key, client_metadata, …) are let through.
import { z } from "zod";

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();
const jsonObject = z.record(z.string(), z.unknown());

/** Text parts; other part types (images, files, audio) parse here so that the error can name them. */
const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const content = z.union([z.string(), z.array(contentPart)]);

export const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "system", "developer", "assistant"]),
  content,
});
export const functionCallItem = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  namespace: z.string().nullish(),
  arguments: z.string(),
});
/**
 * A call's result, by its call_id; or, without one, an output the client's harness adds under a
 * tool's name (Codex 0.171.0 sends its goal's objective so: `name`, `namespace`, no `call_id`).
 */
export const functionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  namespace: z.string().nullish(),
  output: content,
});
/** A thought the client sends back: its text, or the sealed `encrypted_content` this server gave it. */
export const reasoningItem = z.looseObject({
  type: z.literal("reasoning"),
  content: z.array(z.looseObject({ type: z.string(), text: z.string().optional() })).nullish(),
  summary: z.array(z.looseObject({ type: z.string().optional(), text: z.string().optional() })).nullish(),
  encrypted_content: z.string().nullish(),
});
/** Any item: the request parser picks the schema by its `type` (a message may leave it out), so errors name the right field. */
const anyItem = z.looseObject({ type: z.string().optional() });

const functionName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "a function name is 1 to 64 letters, digits, '_' or '-'");
export const functionTool = z.looseObject({
  type: z.literal("function"),
  name: functionName,
  description: z.string().nullish(),
  parameters: nullable(jsonObject),
  strict: z.boolean().nullish(),
});
export const namespaceTool = z.looseObject({
  type: z.literal("namespace"),
  name: functionName,
  description: z.string().nullish(),
  tools: z.array(z.looseObject({ type: z.string() })),
});
/** Any tool: function and namespace tools are checked by their own schemas; hosted ones (web_search, …) are left out. */
const anyTool = z.looseObject({ type: z.string() });

const toolChoice = z.union([
  z.enum(["auto", "none", "required"]),
  z.looseObject({ type: z.literal("function"), name: z.string() }),
  z.looseObject({
    type: z.literal("allowed_tools"),
    mode: z.enum(["auto", "required"]),
    tools: z.array(z.looseObject({ type: z.string(), name: z.string().optional() })),
  }),
  z.looseObject({ type: z.string() }),
]);

const format = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({ type: z.literal("json_schema"), name: z.string().optional(), schema: jsonObject, strict: z.boolean().nullish() }),
]);

export const responsesRequestSchema = z.looseObject({
  model: z.string().optional(),
  input: z.union([z.string(), z.array(anyItem)]),
  instructions: nullable(z.string()),
  tools: nullable(z.array(anyTool)),
  tool_choice: nullable(toolChoice),
  parallel_tool_calls: nullable(z.boolean()),
  text: nullable(z.looseObject({ format: nullable(format) })),
  max_output_tokens: nullable(z.int().min(1)),
  temperature: nullable(z.number().min(0).max(2)),
  top_p: nullable(z.number().min(0).max(1)),
  stream: nullable(z.boolean()),
  store: nullable(z.boolean()),
  previous_response_id: nullable(z.string()),
  metadata: nullable(z.record(z.string(), z.string())),
  top_logprobs: nullable(z.int().min(0).max(20)),
  reasoning: nullable(z.looseObject({ effort: nullable(z.enum(["none", "minimal", "low", "medium", "high", "xhigh"])) })),
  include: nullable(z.array(z.string())),
});

export type ResponsesRequestBody = z.infer<typeof responsesRequestSchema>;
export type FunctionToolBody = z.infer<typeof functionTool>;
