// The request body of POST /v1/responses: validated once here, in the engine's terms.
import type { z } from "zod";
import { invalidParam } from "../errors/api-error.ts";
import type { GenerationRequest, Message, OutputFormat, ToolChoice, ToolSpec } from "../engine/types.ts";
import { Conversation } from "../request/conversation.ts";
import { DEFAULT_TEMPERATURE } from "../engine/sampling.ts";
import { sampling } from "../request/sampling.ts";
import { checkTools, grammarSchema } from "../request/tools.ts";
import { checkCount, checkCounts, INPUT_ITEMS, TOOLS } from "../request/counts.ts";
import { OmittedContent, omittedKind } from "../request/omitted-content.ts";
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
  /** Images, files and audio the model cannot read, each replaced by a placeholder. */
  omitted: OmittedContent;
  /** Input items the client gave ids: kept with the response, so that a later `item_reference` finds them. */
  identifiedItems: Array<Record<string, unknown>>;
}

/** What the response store gives a request that chains on earlier responses. */
export interface StoredResponses {
  /** The conversation a stored response ended with, for `previous_response_id`. */
  conversation(id: string): Message[] | undefined;
  /** A stored item (an output item, or an input item the client named), for an `item_reference`. */
  item(id: string): Record<string, unknown> | undefined;
}

/** A namespace's functions are shown to the model as `namespace.function`, and called back by name and namespace. */
const modelName = (fn: ApiFunctionName) => (fn.namespace ? `${fn.namespace}.${fn.name}` : fn.name);

/**
 * Validates a parsed JSON body; throws an ApiError (400) naming the first bad `param`.
 * `stored` gives what `previous_response_id` and `item_reference` items point at.
 */
export function parseResponsesRequest(
  json: unknown,
  stored: StoredResponses,
  /** Opens a sealed thought (`encrypted_content`) of this server's; null for one it cannot. */
  openThought: (sealed: string) => string | null,
): ResponsesRequest {
  checkCounts(json, { input: INPUT_ITEMS, tools: TOOLS });
  const parsed = responsesRequestSchema.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error);
  const body = parsed.data;
  if ((body.top_logprobs ?? 0) > 0) throw invalidParam("top_logprobs", "Log probabilities are not supported by this server.");
  let previous: Message[] = [];
  if (body.previous_response_id) {
    const earlier = stored.conversation(body.previous_response_id);
    if (!earlier) {
      throw invalidParam(
        "previous_response_id",
        `No response '${body.previous_response_id}' is kept here: it was never stored (store: false), or the server restarted or let it go.`,
        "previous_response_not_found",
      );
    }
    previous = earlier;
  }
  const { tools, functionNames, ignoredTools } = toTools(body);
  const toolChoice = toToolChoice(body, tools, functionNames);
  const offered = toolChoice.allowed ? tools.filter((t) => toolChoice.allowed!.has(t.name)) : tools;
  const format = toFormat(body);
  checkTools(offered, toolChoice.choice, format, { tools: "tools", toolChoice: "tool_choice", format: "text.format" });
  const omitted = new OmittedContent();
  const conversation = [...previous, ...toConversation(body, previous, { stored, openThought, omitted })];
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
    omitted,
    identifiedItems: typeof body.input === "string" ? [] : body.input.filter((item) => typeof item.id === "string" && item.type !== "item_reference"),
  };
}

function toTools(body: ResponsesRequestBody) {
  const tools: ToolSpec[] = [];
  const functionNames = new Map<string, ApiFunctionName>();
  const ignoredTools: string[] = [];
  const add = (fn: FunctionToolBody, namespace: string | undefined, param: string) => {
    // The top-level count was checked before the schema read the body; a namespace's functions count too.
    checkCount(tools.length + 1, "tools", TOOLS);
    const name: ApiFunctionName = namespace ? { name: fn.name, namespace } : { name: fn.name };
    functionNames.set(modelName(name), name);
    tools.push({
      name: modelName(name),
      ...(fn.description ? { description: fn.description } : {}),
      parameters: fn.parameters == null ? null : grammarSchema(fn.parameters, `${param}.parameters`),
      schema: fn.parameters ?? null,
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

interface InputContext {
  stored: StoredResponses;
  openThought: (sealed: string) => string | null;
  omitted: OmittedContent;
}

function toConversation(body: ResponsesRequestBody, previous: readonly Message[], { stored, openThought, omitted }: InputContext): Message[] {
  const conversation = new Conversation();
  const flatten = (content: Parameters<typeof flattenParts>[0], partsParam: string) => flattenParts(content, partsParam, omitted);
  // A follow-up may open with the results of the calls the stored response ended with.
  const last = previous.at(-1);
  if (last?.role === "assistant") for (const call of last.toolCalls) conversation.pendingCall(call.id, "previous_response_id");
  if (typeof body.input === "string") {
    conversation.user(body.input, "input");
    return conversation.done("input");
  }
  body.input.forEach((given, i) => {
    const at = ["input", i] as const;
    const param = `input[${i}]`;
    // A reference stands for an item the store holds (the Vercel AI SDK sends turn one's output so when `store` is on).
    const item = given.type === "item_reference" ? referenced(given, stored, param) : given;
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
      const text = flatten(output.output, `${param}.output`);
      if (output.call_id !== undefined) conversation.toolResult(output.call_id, text, `${param}.call_id`);
      // No call answered: the harness's own note under a tool's name, read as context from the user's side.
      else if (output.name !== undefined) conversation.user(`${output.namespace ? `${output.namespace}.` : ""}${output.name}: ${text}`, param);
      else throw invalidParam(`${param}.call_id`, "A function_call_output needs the call_id of the call it answers.", "missing_required_parameter");
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

/** The stored item an `item_reference` names; a 400 naming the id for one the store does not hold. */
function referenced(reference: Record<string, unknown>, stored: StoredResponses, param: string): Record<string, unknown> & { type?: string } {
  if (typeof reference.id !== "string" || reference.id === "") throw invalidParam(`${param}.id`, "An item_reference needs the id of a stored item.");
  const item = stored.item(reference.id);
  if (!item) {
    throw invalidParam(
      `${param}.id`,
      `No item '${reference.id}' is kept here: its response was never stored (store: false), or the server restarted or let it go. Send the item itself instead.`,
      "item_not_found",
    );
  }
  return item;
}

/** Text parts are joined by newlines; an image, file or audio part becomes a placeholder the model reads. */
function flattenParts(content: string | Array<{ type: string; text?: string | undefined; refusal?: unknown }>, partsParam: string, omitted: OmittedContent): string {
  if (typeof content === "string") return content;
  return content
    .map((part, j) => {
      if (["input_text", "output_text", "text"].includes(part.type) && typeof part.text === "string") return part.text;
      if (part.type === "refusal" && typeof part.refusal === "string") return part.refusal;
      const kind = omittedKind(part.type);
      if (kind) return omitted.omit(kind);
      throw invalidParam(`${partsParam}[${j}].type`, `Content parts of type '${part.type}' are not supported: this server takes text only.`, "unsupported_content_type");
    })
    .join("\n");
}
