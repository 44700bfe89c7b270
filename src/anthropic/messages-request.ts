// The request body of POST /v1/messages (and /v1/messages/count_tokens): validated once here, in the engine's terms.
import type { z } from "zod";
import { invalidParam } from "../errors/api-error.ts";
import type { GenerationRequest, ReasoningRequest, ToolChoice, ToolSpec } from "../engine/types.ts";
import { Conversation } from "../request/conversation.ts";
import { OmittedContent, omittedKind } from "../request/omitted-content.ts";
import { sampling } from "../request/sampling.ts";
import { checkTools, grammarSchema } from "../request/tools.ts";
import { checkCounts, MESSAGES, STOPS, TOOLS } from "../request/counts.ts";
import { formatParam, parseAt, validationError } from "../request/validation.ts";
import {
  anyBlock,
  countTokensSchema,
  messagesRequestSchema,
  redactedThinkingBlock,
  textDocumentBlock,
  thinkingBlock,
  toolResultBlock,
  toolUseBlock,
  type MessagesRequestBody,
} from "./messages-schema.ts";

/** Opens a thought this server sealed (a thinking block's signature); null for one it cannot. */
type OpenThought = (sealed: string) => string | null;

export interface MessagesRequest {
  generation: GenerationRequest;
  stream: boolean;
  /** `thinking.display`: `omitted` leaves the thought's text out of thinking blocks. */
  thinkingDisplay: "summarized" | "omitted";
  /** Tools of a server-run type (web search, code execution, …) left out: the model here cannot run them. */
  ignoredTools: string[];
  /** Images and documents the model cannot read, each replaced by a placeholder. */
  omitted: OmittedContent;
}

/** What is counted before the schema reads the body. */
const COUNTS = { messages: MESSAGES, tools: TOOLS, stop_sequences: STOPS };

/** Validates a parsed JSON body; throws an ApiError (400) naming the first bad field. */
export function parseMessagesRequest(json: unknown, openThought: OpenThought): MessagesRequest {
  checkCounts(json, COUNTS);
  const parsed = messagesRequestSchema.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error);
  return toRequest(parsed.data, openThought);
}

/** The same for count_tokens, where `max_tokens` may be left out. */
export function parseCountTokensRequest(json: unknown, openThought: OpenThought): GenerationRequest {
  checkCounts(json, COUNTS);
  const parsed = countTokensSchema.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error);
  return toRequest({ ...parsed.data, max_tokens: parsed.data.max_tokens ?? 1 }, openThought).generation;
}

/**
 * `thinking: disabled` is effort `none`; `enabled` caps the thought at `budget_tokens`; `adaptive`
 * (or no `thinking`: a local thinking model thinks by default) leaves it to `output_config.effort`,
 * whose `xhigh` and `max` are `high`, the most any local format has.
 */
function toReasoning(body: MessagesRequestBody): ReasoningRequest {
  const level = body.output_config?.effort;
  const effort = level == null ? null : level === "xhigh" || level === "max" ? "high" : level;
  if (body.thinking?.type === "disabled") return { effort: "none", budget: null };
  if (body.thinking?.type === "enabled") return { effort, budget: body.thinking.budget_tokens };
  return { effort, budget: null };
}

function toRequest(body: MessagesRequestBody, openThought: OpenThought): MessagesRequest {
  const ignoredTools: string[] = [];
  const tools: ToolSpec[] = [];
  (body.tools ?? []).forEach((tool, i) => {
    // Typed tools (web_search_…, bash_…, text_editor_…) are Anthropic's own, run by its servers or with schemas of its own.
    if (tool.type !== undefined && tool.type !== "custom") return void ignoredTools.push(tool.type);
    tools.push({
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      parameters: tool.input_schema ? grammarSchema(tool.input_schema, `tools[${i}].input_schema`) : null,
      schema: tool.input_schema ?? null,
    });
  });
  const choice = body.tool_choice ?? { type: tools.length > 0 ? "auto" : "none" };
  const toolChoice: ToolChoice =
    choice.type === "any" ? { type: "required" } : choice.type === "tool" ? { type: "function", name: String(choice.name) } : { type: choice.type as "auto" | "none" };
  checkTools(tools, toolChoice, { type: "text" }, { tools: "tools", toolChoice: "tool_choice", format: "tools" });
  const system = typeof body.system === "string" ? body.system : (body.system ?? []).map((block) => block.text).join("\n");
  const display = body.thinking && "display" in body.thinking ? body.thinking.display : null;
  const omitted = new OmittedContent();
  return {
    stream: body.stream === true,
    thinkingDisplay: display === "omitted" ? "omitted" : "summarized",
    ignoredTools,
    omitted,
    generation: {
      messages: [...(system ? [{ role: "system" as const, content: system }] : []), ...toConversation(body.messages, openThought, omitted)],
      // More than fits is capped at what fits, as clients such as Claude Code ask for 32000 whatever the model.
      maxTokens: body.max_tokens,
      sampling: sampling({ temperature: body.temperature, topP: body.top_p, topK: body.top_k }),
      stop: (body.stop_sequences ?? []).filter((s) => s !== ""),
      tools,
      toolChoice,
      parallelToolCalls: !("disable_parallel_tool_use" in choice && choice.disable_parallel_tool_use === true),
      format: { type: "text" },
      reasoning: toReasoning(body),
    },
  };
}

type Block = z.infer<typeof anyBlock>;

function toConversation(messages: MessagesRequestBody["messages"], openThought: OpenThought, omitted: OmittedContent) {
  const conversation = new Conversation();
  messages.forEach((message, i) => {
    const param = `messages[${i}]`;
    const blocks: Block[] = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
    const texts: string[] = [];
    const thoughts: string[] = [];
    const calls: Array<{ id: string; name: string; arguments: string; param: string }> = [];
    blocks.forEach((block, j) => {
      const at = ["messages", i, "content", j];
      const blockParam = `${param}.content[${j}]`;
      if (block.type === "text" && typeof block.text === "string") texts.push(block.text);
      else if (omittedKind(block.type)) texts.push(readable(block, at, omitted));
      else if (block.type === "tool_use" && message.role === "assistant") {
        const use = parseAt(toolUseBlock, block, at);
        calls.push({ id: use.id, name: use.name, arguments: JSON.stringify(use.input ?? {}), param: blockParam });
      } else if (block.type === "tool_result" && message.role === "user") {
        // Results answer the calls of the assistant turn before; they come first in their user turn.
        const result = parseAt(toolResultBlock, block, at);
        const text =
          result.content === undefined ? "" : typeof result.content === "string" ? result.content : textOf(result.content, [...at, "content"], omitted);
        conversation.toolResult(result.tool_use_id, result.is_error ? `Error: ${text}` : text, `${blockParam}.tool_use_id`);
      } else if (block.type === "thinking" || block.type === "redacted_thinking") {
        // A thought comes back into the history only as this server sealed it; any other is left out.
        const sealed = block.type === "thinking" ? parseAt(thinkingBlock, block, at).signature : parseAt(redactedThinkingBlock, block, at).data;
        const thought = sealed ? openThought(sealed) : null;
        if (thought && message.role === "assistant") thoughts.push(thought);
      } else {
        throw invalidParam(`${blockParam}.type`, `Content blocks of type '${block.type}' are not supported in ${message.role} turns by this server: it takes text only.`);
      }
    });
    const text = texts.join("\n");
    if (message.role === "assistant") {
      if (thoughts.length > 0) conversation.reasoning(thoughts.join("\n"), param);
      conversation.assistant(text === "" && calls.length > 0 ? null : text, param);
      for (const call of calls) conversation.toolCall({ id: call.id, name: call.name, arguments: call.arguments }, call.param);
    } else if (message.role === "system") conversation.system(text, param);
    // A user turn of tool results alone adds no user message.
    else if (text !== "" || !blocks.some((b) => b.type === "tool_result")) conversation.user(text, param);
  });
  return conversation.done("messages");
}

/** A tool result's blocks as text: an image or document in it reads as its placeholder (or a text document as its text). */
function textOf(blocks: Block[], at: Array<string | number>, omitted: OmittedContent): string {
  return blocks
    .map((block, j) => {
      if (block.type === "text" && typeof block.text === "string") return block.text;
      if (omittedKind(block.type)) return readable(block, [...at, j], omitted);
      throw invalidParam(`${formatParam([...at, j])}.type`, `Tool results of type '${block.type}' are not supported by this server: it takes text only.`);
    })
    .join("\n");
}

/** An image or document block as the model reads it: a plain-text document's text (under its title), else a placeholder. */
function readable(block: Block, at: Array<string | number>, omitted: OmittedContent): string {
  if (block.type === "document" && (block.source as { type?: unknown } | undefined)?.type === "text") {
    const document = parseAt(textDocumentBlock, block, at);
    return document.title ? `${document.title}\n${document.source.data}` : document.source.data;
  }
  return omitted.omit(omittedKind(block.type)!);
}
