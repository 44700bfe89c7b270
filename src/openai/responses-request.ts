// The request body of POST /v1/responses: validated once here, in the engine's terms.
import type { z } from "zod";
import { invalidParam } from "../api-error.ts";
import type { GenerationRequest, Message, OutputFormat, ToolChoice, ToolSpec } from "../engine/types.ts";
import { Conversation } from "../request/conversation.ts";
import { DEFAULT_TEMPERATURE, sampling } from "../request/sampling.ts";
import { checkTools, grammarSchema } from "../request/tools.ts";
import { parseAt, validationError } from "../request/validation.ts";
import {
  functionCallItem,
  functionCallOutputItem,
  functionTool,
  messageItem,
  namespaceTool,
  reasoningItem,
  responsesRequestSchema,
  type FunctionToolBody,
  type ResponsesRequestBody,
} from "./responses-schema.ts";
import type { ResponseEcho } from "./responses-types.ts";

/** A function as the API names it: its name, and the namespace tool it came in, if any. */
export interface ApiFunctionName {
  name: string;
  namespace?: string;
}

export interface ResponsesRequest {
  generation: GenerationRequest;
  stream: boolean;
  /** Keep this response so that a later request can chain on it (`previous_response_id`). */
  store: boolean;
  /** The conversation so far without the instructions: earlier turns, then this request's input. */
  conversation: Message[];
  /** What every snapshot of the response echoes of this request (id, time and model aside). */
  echo: Omit<ResponseEcho, "id" | "created_at" | "model">;
  /** The model's name for each function → the API's name and namespace. */
  functionNames: ReadonlyMap<string, ApiFunctionName>;
  /** Hosted tools (web_search, …) left out because the model cannot run them. */
  ignoredTools: string[];
  /** `include: ["reasoning.encrypted_content"]`: reasoning items carry their thought sealed. */
  includeEncryptedReasoning: boolean;
}

/** A namespace's functions are shown to the model as `namespace.function`, and called back by name and namespace. */
const modelName = (fn: ApiFunctionName) => (fn.namespace ? `${fn.namespace}.${fn.name}` : fn.name);

/**
 * Validates a parsed JSON body; throws an ApiError (400) naming the first bad `param`.
 * `earlier(id)` gives the conversation a stored response ended with, for `previous_response_id`.
 */
export function parseResponsesRequest(
  json: unknown,
  earlier: (id: string) => Message[] | undefined,
  /** Opens a sealed thought (`encrypted_content`) of this server's; null for one it cannot. */
  openThought: (sealed: string) => string | null,
): ResponsesRequest {
  const parsed = responsesRequestSchema.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error);
  const body = parsed.data;
  if ((body.top_logprobs ?? 0) > 0) throw invalidParam("top_logprobs", "Log probabilities are not supported by this server.");
  let previous: Message[] = [];
  if (body.previous_response_id) {
    const stored = earlier(body.previous_response_id);
    if (!stored) {
      throw invalidParam(
        "previous_response_id",
        `No response '${body.previous_response_id}' is kept here: it was never stored (store: false), or the server restarted or let it go.`,
        "previous_response_not_found",
      );
    }
    previous = stored;
  }
  const { tools, functionNames, ignoredTools } = toTools(body);
  const toolChoice = toToolChoice(body, tools, functionNames);
  const offered = toolChoice.allowed ? tools.filter((t) => toolChoice.allowed!.has(t.name)) : tools;
  const format = toFormat(body);
  checkTools(offered, toolChoice.choice, format, { tools: "tools", toolChoice: "tool_choice", format: "text.format" });
  const conversation = [...previous, ...toConversation(body, previous, openThought)];
  return {
    stream: body.stream === true,
    store: body.store !== false,
    conversation,
    generation: {
      messages: body.instructions ? [{ role: "system", content: body.instructions }, ...conversation] : conversation,
      maxTokens: body.max_output_tokens ?? null,
      sampling: sampling({ temperature: body.temperature, topP: body.top_p }),
      stop: [],
      tools: offered,
      toolChoice: toolChoice.choice,
      parallelToolCalls: body.parallel_tool_calls ?? true,
      format,
      // `xhigh` is above what any local format has a level for.
      reasoning: { effort: body.reasoning?.effort === "xhigh" ? "high" : (body.reasoning?.effort ?? null), budget: null },
    },
    echo: {
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      metadata: body.metadata ?? {},
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      previous_response_id: body.previous_response_id ?? null,
      store: body.store !== false,
      temperature: body.temperature ?? DEFAULT_TEMPERATURE,
      text: { format: body.text?.format ?? { type: "text" } },
      tool_choice: body.tool_choice ?? "auto",
      tools: body.tools ?? [],
      top_p: body.top_p ?? 1,
    },
    functionNames,
    ignoredTools,
    includeEncryptedReasoning: (body.include ?? []).includes("reasoning.encrypted_content"),
  };
}

function toTools(body: ResponsesRequestBody) {
  const tools: ToolSpec[] = [];
  const functionNames = new Map<string, ApiFunctionName>();
  const ignoredTools: string[] = [];
  const add = (fn: FunctionToolBody, namespace: string | undefined, param: string) => {
    const name: ApiFunctionName = namespace ? { name: fn.name, namespace } : { name: fn.name };
    functionNames.set(modelName(name), name);
    tools.push({
      name: modelName(name),
      ...(fn.description ? { description: fn.description } : {}),
      parameters: fn.parameters == null ? null : grammarSchema(fn.parameters, `${param}.parameters`),
    });
  };
  (body.tools ?? []).forEach((tool, i) => {
    if (tool.type === "function") add(parseAt(functionTool, tool, ["tools", i]), undefined, `tools[${i}]`);
    else if (tool.type === "namespace") {
      const namespace = parseAt(namespaceTool, tool, ["tools", i]);
      namespace.tools.forEach((inner, j) => {
        // Custom (free-text) tools inside a namespace have no JSON arguments to constrain; leave them out too.
        if (inner.type === "function") add(parseAt(functionTool, inner, ["tools", i, "tools", j]), namespace.name, `tools[${i}].tools[${j}]`);
        else ignoredTools.push(`${namespace.name}.${inner.type}`);
      });
    } else ignoredTools.push(tool.type);
  });
  return { tools, functionNames, ignoredTools };
}

function toToolChoice(
  body: ResponsesRequestBody,
  tools: readonly ToolSpec[],
  names: ReadonlyMap<string, ApiFunctionName>,
): { choice: ToolChoice; allowed?: Set<string> } {
  const choice = body.tool_choice ?? (tools.length > 0 ? "auto" : "none");
  if (typeof choice === "string") return { choice: { type: choice } };
  const named = (fn: Record<string, unknown>) =>
    modelName(typeof fn.namespace === "string" ? { name: String(fn.name), namespace: fn.namespace } : { name: String(fn.name) });
  if (choice.type === "function") return { choice: { type: "function", name: named(choice) } };
  if (choice.type === "allowed_tools" && "mode" in choice && Array.isArray(choice.tools)) {
    const allowed = new Set(choice.tools.filter((t) => t.type === "function").map(named));
    const unknown = [...allowed].find((name) => !names.has(name));
    if (unknown) throw invalidParam("tool_choice.tools", `'${unknown}' is not among the function tools.`);
    return { choice: { type: choice.mode as "auto" | "required" }, allowed };
  }
  throw invalidParam("tool_choice", `tool_choice '${choice.type}' names a hosted tool, which this server cannot run.`);
}

function toFormat(body: ResponsesRequestBody): OutputFormat {
  const format = body.text?.format;
  if (format?.type === "json_object") return { type: "json" };
  if (format?.type === "json_schema") return { type: "json_schema", schema: grammarSchema(format.schema, "text.format.schema") };
  return { type: "text" };
}

function toConversation(body: ResponsesRequestBody, previous: readonly Message[], openThought: (sealed: string) => string | null): Message[] {
  const conversation = new Conversation();
  // A follow-up may open with the results of the calls the stored response ended with.
  const last = previous.at(-1);
  if (last?.role === "assistant") for (const call of last.toolCalls) conversation.pendingCall(call.id, "previous_response_id");
  if (typeof body.input === "string") {
    conversation.user(body.input, "input");
    return conversation.done("input");
  }
  body.input.forEach((item, i) => {
    const at = ["input", i] as const;
    const param = `input[${i}]`;
    if (item.type === undefined || item.type === "message") {
      const message = parseAt(messageItem, item, at);
      const text = flatten(message.content, `${param}.content`);
      if (message.role === "assistant") conversation.assistant(text, param);
      else if (message.role === "user") conversation.user(text, param);
      else conversation.system(text, param);
    } else if (item.type === "function_call") {
      const call = parseAt(functionCallItem, item, at);
      const name = modelName(call.namespace ? { name: call.name, namespace: call.namespace } : { name: call.name });
      conversation.toolCall({ id: call.call_id, name, arguments: call.arguments }, param);
    } else if (item.type === "function_call_output") {
      const output = parseAt(functionCallOutputItem, item, at);
      conversation.toolResult(output.call_id, flatten(output.output, `${param}.output`), `${param}.call_id`);
    } else if (item.type === "reasoning") {
      const thought = thoughtOf(parseAt(reasoningItem, item, at), openThought);
      if (thought !== "") conversation.reasoning(thought, param);
    } else {
      throw invalidParam(`${param}.type`, `Input items of type '${item.type}' are not supported by this server.`, "unsupported_item_type");
    }
  });
  return conversation.done("input");
}

/**
 * The thought a reasoning item carries: sealed by this server (whole and unaltered), else its
 * `reasoning_text` content as the client kept it. A summary alone, or a sealed thought from
 * another server or an earlier run, restores nothing: the model goes on without it.
 */
function thoughtOf(item: z.infer<typeof reasoningItem>, openThought: (sealed: string) => string | null): string {
  const sealed = item.encrypted_content ? openThought(item.encrypted_content) : null;
  if (sealed !== null) return sealed;
  return (item.content ?? []).flatMap((part) => (part.type === "reasoning_text" && part.text ? [part.text] : [])).join("");
}

/** Text parts are joined by newlines; images, files and audio are not supported. */
function flatten(content: string | Array<{ type: string; text?: string | undefined; refusal?: unknown }>, partsParam: string): string {
  if (typeof content === "string") return content;
  return content
    .map((part, j) => {
      if (["input_text", "output_text", "text"].includes(part.type) && typeof part.text === "string") return part.text;
      if (part.type === "refusal" && typeof part.refusal === "string") return part.refusal;
      throw invalidParam(`${partsParam}[${j}].type`, `Content parts of type '${part.type}' are not supported: this server takes text only.`, "unsupported_content_type");
    })
    .join("\n");
}
