// Recent responses in memory, so that a follow-up can chain on one by `previous_response_id`.
import type { Message } from "../engine/types.ts";
import type { ResponseObject } from "./responses-types.ts";

interface Entry {
  response: ResponseObject;
  /** The conversation the response ended, without instructions: what a follow-up continues. */
  conversation: Message[];
  bytes: number;
}

/** Bounded by count and by bytes (JSON size); the least recently stored or used goes first. */
export class ResponseStore {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    readonly maxEntries = 1000,
    readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  put(response: ResponseObject, conversation: Message[]): void {
    this.delete(response.id);
    const bytes = JSON.stringify(response).length + JSON.stringify(conversation).length;
    if (bytes > this.maxBytes) return;
    this.entries.set(response.id, { response, conversation, bytes });
    this.bytes += bytes;
    for (const [id] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.delete(id);
    }
  }

  /** The conversation a stored response ended; using it makes it the most recent. */
  conversation(id: string): Message[] | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.conversation;
  }

  response(id: string): ResponseObject | undefined {
    return this.entries.get(id)?.response;
  }

  delete(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
    return true;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The conversation after a response: the assistant's turn (its thought, text and calls) appended, calls named as the model knows them. */
export function conversationAfter(conversation: readonly Message[], output: ResponseObject["output"]): Message[] {
  const text = output.flatMap((item) => (item.type === "message" ? item.content.map((part) => part.text) : [])).join("");
  const reasoning = output.flatMap((item) => (item.type === "reasoning" ? item.content.map((part) => part.text) : [])).join("");
  const toolCalls = output.flatMap((item) =>
    item.type === "function_call" ? [{ id: item.call_id, name: item.namespace ? `${item.namespace}.${item.name}` : item.name, arguments: item.arguments }] : [],
  );
  return [
    ...conversation,
    { role: "assistant", content: text === "" && toolCalls.length > 0 ? null : text, toolCalls, ...(reasoning !== "" ? { reasoning } : {}) },
  ];
}
