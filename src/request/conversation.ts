// Builds the engine's conversation from any API's turns, and holds the one rule they share: the
// tool calls of an assistant turn are answered, each by its own result, before anything else.
import { invalidParam } from "../errors/api-error.ts";
import type { Message, ToolCallRecord } from "../engine/types.ts";

export class Conversation {
  readonly messages: Message[] = [];
  /** Calls of the last assistant turn that no result has answered yet, by id. */
  private unanswered = new Set<string>();
  /** Where the assistant turn with those calls came from, for the error. */
  private unansweredParam = "";

  system(content: string, param: string): void {
    this.expectAnswered(param);
    this.messages.push({ role: "system", content });
  }

  user(content: string, param: string): void {
    this.expectAnswered(param);
    this.messages.push({ role: "user", content });
  }

  /** An assistant turn's text; it joins the thought that opened its turn, and the tool calls that follow it (`toolCall`) join it. */
  assistant(content: string | null, param: string): void {
    this.expectAnswered(param);
    const last = this.messages.at(-1);
    if (last?.role === "assistant" && last.content === null && last.toolCalls.length === 0) last.content = content;
    else this.messages.push({ role: "assistant", content, toolCalls: [] });
  }

  /** The thought an assistant turn began with: the text and calls that follow join its turn. */
  reasoning(thought: string, param: string): void {
    this.expectAnswered(param);
    const last = this.messages.at(-1);
    if (last?.role === "assistant" && last.content === null && last.toolCalls.length === 0) last.reasoning = last.reasoning === undefined ? thought : `${last.reasoning}\n${thought}`;
    else this.messages.push({ role: "assistant", content: null, toolCalls: [], reasoning: thought });
  }

  /** A tool call: part of the assistant turn before it, or one of its own when results came between. */
  toolCall(call: ToolCallRecord, param: string): void {
    const last = this.messages.at(-1);
    if (last?.role === "assistant") last.toolCalls.push(call);
    else {
      this.expectAnswered(param);
      this.messages.push({ role: "assistant", content: null, toolCalls: [call] });
    }
    if (this.unanswered.size === 0) this.unansweredParam = param;
    this.unanswered.add(call.id);
  }

  /** A call that an earlier request's answer ended with, which this request's results may answer. */
  pendingCall(callId: string, param: string): void {
    if (this.unanswered.size === 0) this.unansweredParam = param;
    this.unanswered.add(callId);
  }

  toolResult(callId: string, content: string, param: string): void {
    if (!this.unanswered.delete(callId)) {
      throw invalidParam(param, `The tool result for '${callId}' answers no unanswered tool call of the assistant turn before it.`);
    }
    this.messages.push({ role: "tool", content, toolCallId: callId });
  }

  /** The whole conversation, once every call has its result. */
  done(param: string): Message[] {
    this.expectAnswered(param);
    return this.messages;
  }

  private expectAnswered(param: string): void {
    if (this.unanswered.size === 0) return;
    throw invalidParam(
      param,
      `The tool calls at ${this.unansweredParam} must each be answered by a tool result before the next turn; unanswered: ${[...this.unanswered].join(", ")}.`,
    );
  }
}
