// The request body of POST /v1/chat/completions: validated once here, trusted inside.
import type { z } from "zod";
import { SchemaError, toGrammarSchema } from "../engine/json-schema.ts";
import type { GenerationRequest, Message, OutputFormat, ToolChoice, ToolSpec } from "../engine/types.ts";
import { chatRequestSchema, type ChatMessageBody, type ChatRequestBody, type contentPart } from "./chat-schema.ts";
import { invalidParam } from "./errors.ts";
import { validationError } from "./validation.ts";

/** A validated chat request, in the engine's terms plus what the HTTP side needs. */
export interface ChatRequest {
  generation: GenerationRequest;
  stream: boolean;
  includeUsage: boolean;
}

/** llama-server's and Ollama's default; OpenAI's is 1. Clients that care send their own. */
const DEFAULT_TEMPERATURE = 0.8;

/** Validates a parsed JSON body; throws an ApiError (400) naming the first bad `param`. */
export function parseChatRequest(json: unknown): ChatRequest {
  const parsed = chatRequestSchema.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error);
  const body = parsed.data;
  if (body.n != null && body.n !== 1) throw invalidParam("n", "Only n=1 is supported: one choice per request.");
  if (body.logprobs === true || (body.top_logprobs ?? 0) > 0) {
    throw invalidParam(body.logprobs === true ? "logprobs" : "top_logprobs", "Log probabilities are not supported by this server.");
  }
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? null;
  return {
    stream: body.stream === true,
    includeUsage: body.stream === true && body.stream_options?.include_usage === true,
    generation: {
      messages: toMessages(body.messages),
      maxTokens,
      sampling: {
        temperature: body.temperature ?? DEFAULT_TEMPERATURE,
        topP: body.top_p ?? null,
        topK: body.top_k ?? null,
        minP: body.min_p ?? null,
        seed: body.seed ?? null,
        presencePenalty: body.presence_penalty ?? null,
        frequencyPenalty: body.frequency_penalty ?? null,
        logitBias: Object.entries(body.logit_bias ?? {}).map(([token, bias]) => ({ token: Number(token), bias })),
      },
      stop: body.stop == null ? [] : (typeof body.stop === "string" ? [body.stop] : body.stop).filter((s) => s !== ""),
      ...toolsAndFormat(body),
    },
  };
}

function toolsAndFormat(body: ChatRequestBody): Pick<GenerationRequest, "tools" | "toolChoice" | "parallelToolCalls" | "format"> {
  const tools: ToolSpec[] = (body.tools ?? []).map((t, i) => ({
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    parameters: t.function.parameters === undefined ? null : grammarSchema(t.function.parameters, `tools[${i}].function.parameters`),
  }));
  const names = tools.map((t) => t.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) throw invalidParam("tools", `Two tools are named '${duplicate}'; tool names must be unique.`);

  const choice = body.tool_choice ?? (tools.length > 0 ? "auto" : "none");
  let toolChoice: ToolChoice;
  if (typeof choice === "string") toolChoice = { type: choice };
  else toolChoice = { type: "function", name: choice.function.name };
  if ((toolChoice.type === "required" || toolChoice.type === "function") && tools.length === 0) {
    throw invalidParam("tool_choice", `tool_choice '${toolChoice.type}' needs at least one tool in 'tools'.`);
  }
  if (toolChoice.type === "function" && !names.includes(toolChoice.name)) {
    throw invalidParam("tool_choice", `tool_choice names '${toolChoice.name}', which is not among the tools: ${names.join(", ")}.`);
  }

  const format = body.response_format;
  let outputFormat: OutputFormat = { type: "text" };
  if (format?.type === "json_object") outputFormat = { type: "json" };
  if (format?.type === "json_schema") {
    outputFormat = format.json_schema.schema
      ? { type: "json_schema", schema: grammarSchema(format.json_schema.schema, "response_format.json_schema.schema") }
      : { type: "json" };
  }
  if (outputFormat.type !== "text" && tools.length > 0 && toolChoice.type !== "none") {
    throw invalidParam(
      "response_format",
      "response_format cannot constrain the answer while the model may call tools; send tool_choice 'none' or leave out response_format.",
    );
  }
  return { tools, toolChoice, parallelToolCalls: body.parallel_tool_calls ?? true, format: outputFormat };
}

function grammarSchema(schema: unknown, param: string) {
  try {
    return toGrammarSchema(schema);
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    throw invalidParam(param, `Unsupported schema: ${error.message}.`, "invalid_schema");
  }
}

function toMessages(bodies: ChatMessageBody[]): Message[] {
  const messages: Message[] = [];
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
        messages.push({ role: "assistant", content: body.content == null ? null : flatten(body.content, i), toolCalls });
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

/** Text parts are joined by newlines; other parts (images, audio, files) are not supported. */
function flatten(value: string | Array<z.infer<typeof contentPart>>, i: number): string {
  if (typeof value === "string") return value;
  return value
    .map((part, j) => {
      if (part.type === "text" && typeof part.text === "string") return part.text;
      throw invalidParam(
        `messages[${i}].content[${j}].type`,
        `Content parts of type '${part.type}' are not supported: this server takes text only.`,
        "unsupported_content_type",
      );
    })
    .join("\n");
}
