// The zod schema of POST /v1/messages bodies: what oserve acts on is typed; `metadata`,
// `cache_control`, `context_management` and the like are let through and ignored.
import { z } from "zod";
import { MAX_STOPS } from "../request/counts.ts";

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish();

const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });
/** A block whose type the request parser checks, so that an unsupported one (image, document) is named. */
export const anyBlock = z.looseObject({ type: z.string() });
export const toolUseBlock = z.looseObject({ type: z.literal("tool_use"), id: z.string().min(1), name: z.string().min(1), input: z.unknown() });
/** A thought sent back: trusted only as far as its signature (sealed by this server) says. */
export const thinkingBlock = z.looseObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().optional() });
/** A document whose source is plain text: the model reads the text itself. */
export const textDocumentBlock = z.looseObject({
  type: z.literal("document"),
  source: z.looseObject({ type: z.literal("text"), data: z.string() }),
  title: z.string().nullish(),
});
export const redactedThinkingBlock = z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() });
export const toolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(anyBlock)]).optional(),
  is_error: z.boolean().optional(),
});

const message = z.looseObject({
  // Claude Code also puts `system` turns among the messages.
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(anyBlock)]),
});

const tool = z.looseObject({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/, "a tool name is 1 to 128 letters, digits, '_' or '-'"),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  type: z.string().optional(),
});

const toolChoice = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal("tool"), name: z.string(), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal("none") }),
]);

export const messagesRequestSchema = z.looseObject({
  model: z.string(),
  max_tokens: z.int().min(1),
  system: nullable(z.union([z.string(), z.array(textBlock)])),
  messages: z.array(message).min(1, "messages must hold at least one message"),
  tools: nullable(z.array(tool)),
  tool_choice: nullable(toolChoice),
  stop_sequences: nullable(z.array(z.string()).max(MAX_STOPS)),
  temperature: nullable(z.number().min(0).max(1)),
  top_p: nullable(z.number().min(0).max(1)),
  top_k: nullable(z.int().min(0)),
  stream: nullable(z.boolean()),
  thinking: nullable(
    z.discriminatedUnion("type", [
      z.looseObject({ type: z.literal("enabled"), budget_tokens: z.int().min(0), display: nullable(z.enum(["summarized", "omitted"])) }),
      z.looseObject({ type: z.literal("adaptive"), display: nullable(z.enum(["summarized", "omitted"])) }),
      z.looseObject({ type: z.literal("disabled") }),
      z.looseObject({ type: z.literal("between_tools") }),
    ]),
  ),
  output_config: nullable(z.looseObject({ effort: nullable(z.enum(["low", "medium", "high", "xhigh", "max"])) })),
});

export const countTokensSchema = messagesRequestSchema.extend({ max_tokens: z.int().min(1).optional() });

export type MessagesRequestBody = z.infer<typeof messagesRequestSchema>;
