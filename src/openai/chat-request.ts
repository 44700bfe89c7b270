// The request body of POST /v1/chat/completions: validated once here, trusted inside.
import type { z } from "zod";
import type { GenerationRequest, Message, OutputFormat, ReasoningEffort, ToolChoice, ToolSpec } from "../engine/types.ts";
import { chatRequestSchema, type ChatMessageBody, type ChatRequestBody, type contentPart } from "./chat-schema.ts";
import { invalidParam } from "../errors/api-error.ts";
import { includeUsage, toSampling, toStops } from "./sampling-schema.ts";
import { checkTools, grammarSchema } from "../request/tools.ts";
import { checkCounts, LOGIT_BIAS, MESSAGES, STOPS, TEMPLATE_KWARGS, TOOLS } from "../request/counts.ts";
import { validationError } from "../request/validation.ts";
import { OmittedContent, omittedKind } from "../request/omitted-content.ts";

/** A validated chat request, in the engine's terms plus what the HTTP side needs. */
export interface ChatRequest {
  generation: GenerationRequest;
  stream: boolean;
  includeUsage: boolean;
  /** Images, files and audio the model cannot read, each replaced by a placeholder. */
  omitted: OmittedContent;
}

/** Validates a parsed JSON body; throws an ApiError (400) naming the first bad `param`. */
export function parseChatRequest(json: unknown): ChatRequest {
  checkCounts(json, { messages: MESSAGES, tools: TOOLS, logit_bias: LOGIT_BIAS, stop: STOPS, chat_template_kwargs: TEMPLATE_KWARGS });
  const parsed = chatRequestSchema.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error);
  const body = parsed.data;
  if (body.n != null && body.n !== 1) throw invalidParam("n", "Only n=1 is supported: one choice per request.");
  if (body.logprobs === true || (body.top_logprobs ?? 0) > 0) {
    throw invalidParam(body.logprobs === true ? "logprobs" : "top_logprobs", "Log probabilities are not supported by this server.");
  }
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? null;
  const omitted = new OmittedContent();
  return {
    stream: body.stream === true,
    includeUsage: includeUsage(body),
    omitted,
    generation: {
      messages: toMessages(body.messages, omitted),
      maxTokens,
      sampling: toSampling(body),
      stop: toStops(body.stop),
      ...toolsAndFormat(body),
      reasoning: { effort: toEffort(body), budget: null },
      ...(body.chat_template_kwargs ? { templateKwargs: body.chat_template_kwargs } : {}),
    },
  };
}

/** `reasoning_effort` (`xhigh` is above any level a local format has); else `enable_thinking: false` is `none`. */
function toEffort(body: ChatRequestBody): ReasoningEffort | null {
  if (body.reasoning_effort) return body.reasoning_effort === "xhigh" ? "high" : body.reasoning_effort;
  return body.chat_template_kwargs?.enable_thinking === false ? "none" : null;
}

function toolsAndFormat(body: ChatRequestBody): Pick<GenerationRequest, "tools" | "toolChoice" | "parallelToolCalls" | "format"> {
  const tools: ToolSpec[] = (body.tools ?? []).map((t, i) => ({
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    parameters: t.function.parameters === undefined ? null : grammarSchema(t.function.parameters, `tools[${i}].function.parameters`),
    schema: t.function.parameters ?? null,
  }));
  const choice = body.tool_choice ?? (tools.length > 0 ? "auto" : "none");
  const toolChoice: ToolChoice = typeof choice === "string" ? { type: choice } : { type: "function", name: choice.function.name };
  const format = body.response_format;
  let outputFormat: OutputFormat = { type: "text" };
  if (format?.type === "json_object") outputFormat = { type: "json" };
  if (format?.type === "json_schema") {
    outputFormat = format.json_schema.schema
      ? { type: "json_schema", schema: grammarSchema(format.json_schema.schema, "response_format.json_schema.schema") }
      : { type: "json" };
  }
  checkTools(tools, toolChoice, outputFormat, { tools: "tools", toolChoice: "tool_choice", format: "response_format" });
  return { tools, toolChoice, parallelToolCalls: body.parallel_tool_calls ?? true, format: outputFormat };
}

function toMessages(bodies: ChatMessageBody[], omitted: OmittedContent): Message[] {
  const messages: Message[] = [];
  const flatten = (value: string | Array<z.infer<typeof contentPart>>, i: number) => flattenParts(value, i, omitted);
  /** Tool calls of the last assistant message that no tool message has answered yet. */
  let unanswered = new Map<string, number>();
  bodies.forEach((body, i) => {
    if (body.role !== "tool" && unanswered.size > 0) throw unansweredToolCalls(i - 1, unanswered);
    switch (body.role) {
      case "system":
      case "developer":
        messages.push({ role: "system", content: flatten(body.content, i) });
        break;
      case "user":
        messages.push({ role: "user", content: flatten(body.content, i) });
        break;
      case "assistant": {
        const toolCalls = (body.tool_calls ?? []).map((call) => ({
          id: call.id,
          name: call.function.name,
          arguments: call.function.arguments,
        }));
        unanswered = new Map(toolCalls.map((call, j) => [call.id, j]));
        messages.push({
          role: "assistant",
          content: body.content == null ? null : flatten(body.content, i),
          toolCalls,
          ...(body.reasoning_content ? { reasoning: body.reasoning_content } : {}),
        });
        break;
      }
      case "tool":
        if (!unanswered.delete(body.tool_call_id)) {
          throw invalidParam(
            `messages[${i}].tool_call_id`,
            `Tool message ${i} answers '${body.tool_call_id}', which is not an unanswered tool call of the assistant message before it.`,
          );
        }
        messages.push({ role: "tool", content: flatten(body.content, i), toolCallId: body.tool_call_id });
        break;
    }
  });
  if (unanswered.size > 0) throw unansweredToolCalls(bodies.length - 1, unanswered);
  return messages;
}

function unansweredToolCalls(lastIndex: number, unanswered: Map<string, number>) {
  return invalidParam(
    "messages",
    `An assistant message with 'tool_calls' must be followed by tool messages answering each 'tool_call_id'; ` +
      `unanswered after message ${lastIndex}: ${[...unanswered.keys()].join(", ")}.`,
  );
}

/** Text parts are joined by newlines; an image, file or audio part becomes a placeholder the model reads. */
function flattenParts(value: string | Array<z.infer<typeof contentPart>>, i: number, omitted: OmittedContent): string {
  if (typeof value === "string") return value;
  return value
    .map((part, j) => {
      if (part.type === "text" && typeof part.text === "string") return part.text;
      const kind = omittedKind(part.type);
      if (kind) return omitted.omit(kind);
      throw invalidParam(
        `messages[${i}].content[${j}].type`,
        `Content parts of type '${part.type}' are not supported: this server takes text only.`,
        "unsupported_content_type",
      );
    })
    .join("\n");
}
