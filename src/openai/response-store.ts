// Recent responses in memory, so that a follow-up can chain on one by `previous_response_id`.
import type { Message } from "../engine/types.ts";
import type { StoredResponses } from "./responses-request.ts";
import type { ResponseObject } from "./responses-types.ts";

interface Entry {
  response: ResponseObject;
  /** The conversation the response ended, without instructions: what a follow-up continues. */
  conversation: Message[];
  /** Ids of the items kept with it (its output, the input items the client named), for `item_reference`. */
  itemIds: string[];
  bytes: number;
}

type Item = Record<string, unknown>;

/** Bounded by count and by bytes (JSON size); the least recently stored or used goes first. */
export class ResponseStore implements StoredResponses {
  private readonly entries = new Map<string, Entry>();
  /** Every kept item by its id, and the response it is kept with. */
  private readonly items = new Map<string, { item: Item; responseId: string }>();
  private bytes = 0;

  constructor(
    readonly maxEntries = 1000,
    readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  /** Keeps a response, the conversation it ended, and the input items with ids that it was asked with. */
  put(response: ResponseObject, conversation: Message[], inputItems: readonly Item[] = []): void {
    this.delete(response.id);
    const kept = [...inputItems, ...(response.output as unknown as Item[])];
    const bytes = JSON.stringify(response).length + JSON.stringify(conversation).length + JSON.stringify(inputItems).length;
    // One response may take a sixteenth of the store: no single request flushes every other.
    if (bytes > this.maxBytes / 16) return;
    const itemIds: string[] = [];
    for (const item of kept) {
      if (typeof item.id !== "string") continue;
      // Input item ids are the client's to choose: one that another response keeps with other
      // content is not taken over (a client cannot change what another's item_reference reads).
      const held = this.items.get(item.id);
      if (held && held.responseId !== response.id && JSON.stringify(held.item) !== JSON.stringify(item)) continue;
      this.items.set(item.id, { item, responseId: response.id });
      itemIds.push(item.id);
    }
    this.entries.set(response.id, { response, conversation, itemIds, bytes });
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

  /** A kept item by its id: an output item of a stored response, or an input item it was asked with. */
  item(id: string): Item | undefined {
    return this.items.get(id)?.item;
  }

  delete(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
    // An item a later response was asked with again belongs to that one now.
    for (const itemId of entry.itemIds) if (this.items.get(itemId)?.responseId === id) this.items.delete(itemId);
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
