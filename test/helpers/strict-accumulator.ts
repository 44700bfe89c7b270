// Accumulates a chunk stream the way the strictest real clients do, so that a server that would
// quietly break them fails here:
// - openai-go's ChatCompletionAccumulator latches the first chunk's `id` and drops every chunk
//   with another id (tool calls, finish_reason and usage vanish);
// - LangChain.js types the whole message from the first chunk's `delta.role`: without
//   "assistant" there, streamed tool calls are lost.
export interface StrictResult {
  /** The role the first chunk declared; LangChain's message type. */
  role: string | undefined;
  text: string;
  finishReason: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  /** Chunks dropped because their id differed from the first one's. */
  dropped: number;
}

export function accumulateStrict(dataFrames: string[]): StrictResult {
  const result: StrictResult = { role: undefined, text: "", finishReason: null, usage: null, toolCalls: [], dropped: 0 };
  let latchedId: string | undefined;
  for (const data of dataFrames) {
    if (data === "[DONE]") break;
    const chunk = JSON.parse(data);
    if (chunk.error) throw new Error(`error frame: ${chunk.error.message}`);
    if (latchedId === undefined) {
      latchedId = chunk.id;
      result.role = chunk.choices?.[0]?.delta?.role;
    } else if (chunk.id !== latchedId) {
      result.dropped++;
      continue;
    }
    if (chunk.usage) result.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (typeof choice.delta?.content === "string") result.text += choice.delta.content;
      for (const call of choice.delta?.tool_calls ?? []) {
        // LangChain only builds tool calls into an AI message chunk.
        if (result.role !== "assistant") continue;
        const slot = (result.toolCalls[call.index] ??= { id: "", name: "", arguments: "" });
        if (call.id) slot.id = call.id;
        if (call.function?.name) slot.name += call.function.name;
        if (call.function?.arguments) slot.arguments += call.function.arguments;
      }
      if (choice.finish_reason) result.finishReason = choice.finish_reason;
    }
  }
  return result;
}
