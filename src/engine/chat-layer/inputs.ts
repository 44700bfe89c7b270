// PURE: a generation request as llama.cpp's chat layer takes it (native/chat-layer.cpp), in the
// shape llama-server builds from an OpenAI request (tools/server/server-common.cpp,
// oaicompat_chat_params_parse): messages and tools in OpenAI's shape, the tool choice, thinking
// on or off, and the template's extra arguments, each given to the template as JSON text.
import type { ReasoningDefaults } from "../reasoning.ts";
import type { GenerationRequest, Message } from "../types.ts";

/** What native/chat-layer.cpp's apply() reads. */
export interface ChatInputs {
  messages: OpenAIMessage[];
  tools: OpenAITool[];
  tool_choice: "auto" | "required" | "none";
  parallel_tool_calls: boolean;
  add_generation_prompt: boolean;
  /** A last assistant message is continued rather than a new one begun. */
  continue_final_message: boolean;
  enable_thinking: boolean;
  reasoning_format: "auto" | "none";
  /** The answer's JSON Schema as text (a response format); llama.cpp's grammar follows it. */
  json_schema?: string;
  /** Each value as JSON text (llama-server dumps each kwarg). */
  chat_template_kwargs: Record<string, string>;
  /** The template's clock (strftime_now), for renderings that must not depend on the day. */
  now_ms?: number;
}

export interface OpenAIMessage {
  role: string;
  content: string | null;
  tool_calls?: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }>;
  reasoning_content?: string;
  tool_call_id?: string;
}

export interface OpenAITool {
  type: "function";
  function: { name: string; description?: string; parameters?: unknown };
}

export function chatMessages(messages: readonly Message[]): OpenAIMessage[] {
  return messages.map((message) => {
    switch (message.role) {
      case "system":
      case "user":
        return { role: message.role, content: message.content };
      case "tool":
        return { role: "tool", content: message.content, tool_call_id: message.toolCallId };
      case "assistant":
        return {
          role: "assistant",
          content: message.content,
          ...(message.toolCalls.length > 0
            ? { tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: "function" as const, function: { name: call.name, arguments: call.arguments } })) }
            : {}),
          ...(message.reasoning ? { reasoning_content: message.reasoning } : {}),
        };
    }
  });
}

/**
 * The chat layer's inputs for a request: a tool forced by name is the only tool offered, and
 * required; a reasoning effort of `none` (or a thought budget of 0) turns thinking off, another is
 * the template's `reasoning_effort` (gpt-oss reads it), as in llama-server, beside its default
 * `preserve_reasoning`; the client's `chat_template_kwargs` over them.
 */
export function chatInputs(request: GenerationRequest, defaults: ReasoningDefaults): ChatInputs {
  const forced = request.toolChoice.type === "function" ? request.toolChoice.name : null;
  const tools = request.tools.filter((tool) => forced === null || tool.name === forced);
  const effort = request.reasoning.effort ?? defaults.effort;
  const budget = request.reasoning.budget ?? defaults.budget;
  // llama-server's default template arguments (common/arg.cpp): an earlier turn's thought is kept
  // where the template can keep it.
  const templateKwargs: Record<string, string> = { preserve_reasoning: "true" };
  // The effort as the client named it (gpt-oss, DeepSeek V4, Solar, Cohere read it), as llama-server passes it.
  if (effort !== null && effort !== "none") templateKwargs.reasoning_effort = JSON.stringify(effort);
  // The client's own arguments come last and win, as in llama-server.
  for (const [name, value] of Object.entries(request.templateKwargs ?? {})) if (value !== undefined) templateKwargs[name] = JSON.stringify(value);
  const last = request.messages.at(-1);
  const continuing = last?.role === "assistant" && last.toolCalls.length === 0 && !!last.content;
  return {
    messages: chatMessages(request.messages),
    tools: tools.map((tool) => ({
      type: "function",
      function: { name: tool.name, ...(tool.description !== undefined ? { description: tool.description } : {}), ...(tool.schema != null ? { parameters: withoutDialect(tool.schema) } : {}) },
    })),
    tool_choice: tools.length === 0 ? "none" : forced !== null || request.toolChoice.type === "required" ? "required" : request.toolChoice.type === "none" ? "none" : "auto",
    parallel_tool_calls: request.parallelToolCalls,
    add_generation_prompt: !continuing,
    continue_final_message: continuing,
    ...(request.format.type === "text" || tools.length > 0 ? {} : { json_schema: JSON.stringify(request.format.type === "json" ? { type: "object" } : request.format.schema) }),
    enable_thinking: !(effort === "none" || budget === 0),
    reasoning_format: "auto",
    chat_template_kwargs: templateKwargs,
  };
}

/**
 * A tool's schema without its top-level `$schema` (the URL of JSON Schema's dialect, which zod and
 * the agents' SDKs add): it tells a model nothing, costs tokens in every prompt, and small models
 * trained on plain schemas misread the call after it. The rest is rendered as the client sent it.
 */
function withoutDialect(schema: unknown): unknown {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema) || !("$schema" in schema)) return schema;
  const { $schema: _dialect, ...rest } = schema as Record<string, unknown>;
  return rest;
}
