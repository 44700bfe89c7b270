// PURE: what llama.cpp's chat parser read anew (native/chat-layer.cpp's message diffs) as engine
// events. A tool call goes out once its name is whole: when its arguments begin, another part of
// the message follows, or the message ends (llama-server's rule; a name still being read can grow).
import type { EngineEvent } from "../events.ts";

/** One diff of the parsed message: thought text, answer text, or a tool call's name and argument text. */
export interface MessageDiff {
  reasoning: string;
  content: string;
  /** The tool call it adds to; -1: none. */
  index: number;
  name: string;
  arguments: string;
}

export class DiffEvents {
  /** Tool calls announced (their name sent), by index. */
  private readonly announced = new Set<number>();
  /** Each call's name as last read, and argument text not yet sent because its name was not. */
  private readonly calls: Array<{ name: string; pending: string }> = [];
  private thinking = false;
  private thoughtEnded = false;
  /** The thought's trailing whitespace, held until more thought follows: the thought ends trimmed, as llama-server's. */
  private heldWhitespace = "";

  constructor(private readonly newCallId: () => string) {}

  /** The events of one parse's diffs; `final`: the message is whole, every call goes out. */
  push(diffs: readonly MessageDiff[], final = false): EngineEvent[] {
    const events: EngineEvent[] = [];
    for (const diff of diffs) {
      if (diff.reasoning !== "") {
        const text = this.heldWhitespace + diff.reasoning;
        const trimmed = this.thinking ? text.trimEnd() : text.trim();
        this.heldWhitespace = text.slice(text.trimEnd().length);
        if (trimmed !== "") {
          this.thinking = true;
          events.push({ type: "reasoning", text: trimmed });
        }
      }
      if (diff.content !== "") {
        this.endThought(events);
        this.flushNames(events, -1);
        events.push({ type: "text", text: diff.content });
      }
      if (diff.index >= 0) {
        this.endThought(events);
        this.flushNames(events, diff.index);
        const call = (this.calls[diff.index] ??= { name: "", pending: "" });
        if (diff.name !== "") call.name = diff.name;
        if (this.announced.has(diff.index)) {
          if (diff.arguments !== "") events.push({ type: "tool_call_arguments", index: diff.index, arguments: diff.arguments });
        } else {
          call.pending += diff.arguments;
          if (call.pending !== "") this.announce(diff.index, events);
        }
      }
    }
    if (final) this.flushNames(events, -1);
    return events;
  }

  /** Tool calls announced so far. */
  get count(): number {
    return this.announced.size;
  }

  private endThought(events: EngineEvent[]): void {
    if (this.thinking && !this.thoughtEnded) {
      this.thoughtEnded = true;
      this.heldWhitespace = "";
      events.push({ type: "reasoning_end" });
    }
  }

  /** Calls other than `except` whose names are read go out: another part of the message has begun. */
  private flushNames(events: EngineEvent[], except: number): void {
    this.calls.forEach((call, index) => {
      if (index !== except && call !== undefined && call.name !== "" && !this.announced.has(index)) this.announce(index, events);
    });
  }

  private announce(index: number, events: EngineEvent[]): void {
    const call = this.calls[index]!;
    if (call.name === "") return;
    this.announced.add(index);
    events.push({ type: "tool_call", index, id: this.newCallId(), name: call.name });
    if (call.pending !== "") events.push({ type: "tool_call_arguments", index, arguments: call.pending });
    call.pending = "";
  }
}
