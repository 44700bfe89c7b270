// POST /v1/chat/completions: request → schema → engine events → encoder → response.
import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import { shuttingDown, type ServerState } from "../server-state.ts";
import { parseChatRequest } from "../openai/chat-request.ts";
import { readJson } from "../openai/read-json.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";
import type { ChatCompletion, ToolCall } from "../openai/types.ts";
import { ApiError } from "../openai/errors.ts";
import { chatFrames, sseResponse } from "../stream/chat-stream.ts";
import { toUsage, type StreamIdentity } from "../stream/encode-chat.ts";
import type { EngineEvent, FinishReason, TokenUsage } from "../stream/events.ts";

export function chatRoutes(state: ServerState): Hono {
  const app = new Hono();
  app.post("/v1/chat/completions", async (c) => {
    const engine = state.readyEngine();
    const request = parseChatRequest(await readJson(c.req.raw));
    const prepared = await engine.prepare(request.generation);
    const identity: StreamIdentity = {
      id: `chatcmpl-${randomBytes(12).toString("hex")}`,
      created: Math.floor(Date.now() / 1000),
      model: engine.modelId,
    };
    // One controller per request: the client leaving (socket closed or body cancelled) or the
    // server shutting down aborts it.
    const abort = new AbortController();
    const clientGone = () => abort.abort(new Error("the client disconnected"));
    const serverStopping = () => abort.abort(new Error("the server is shutting down"));
    c.req.raw.signal.addEventListener("abort", clientGone, { once: true });
    state.shutdown.signal.addEventListener("abort", serverStopping, { once: true });
    const forget = () => {
      c.req.raw.signal.removeEventListener("abort", clientGone);
      state.shutdown.signal.removeEventListener("abort", serverStopping);
    };
    // The client may have left, or the server begun to stop, while the prompt was being prepared.
    if (c.req.raw.signal.aborted) clientGone();
    if (state.shutdown.signal.aborted) serverStopping();
    const events = prepared.run(abort.signal);
    if (!request.stream) {
      try {
        return c.json(await collect(identity, events));
      } catch (error) {
        if (state.shutdown.signal.aborted) {
          throw shuttingDown("The server shut down before the answer was complete.");
        }
        throw error;
      } finally {
        forget();
      }
    }
    const frames = chatFrames(
      identity,
      { keepalive: state.config.keepalive, keepaliveIntervalMs: state.config.keepaliveIntervalMs, includeUsage: request.includeUsage },
      events,
    );
    return sseResponse(frames, clientGone, forget);
  });
  app.all("/v1/chat/completions", methodNotAllowed("POST"));
  return app;
}

/** Gathers a whole generation into one `chat.completion`. */
async function collect(identity: StreamIdentity, events: AsyncIterable<EngineEvent>): Promise<ChatCompletion> {
  let content = "";
  const toolCalls: ToolCall[] = [];
  let finishReason: FinishReason = "stop";
  let usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  for await (const event of events) {
    switch (event.type) {
      case "text":
        content += event.text;
        break;
      case "tool_call":
        toolCalls[event.index] = { id: event.id, type: "function", function: { name: event.name, arguments: "" } };
        break;
      case "tool_call_arguments": {
        const call = toolCalls[event.index];
        if (call) call.function.arguments += event.arguments;
        break;
      }
      case "finish":
        finishReason = event.reason;
        break;
      case "usage":
        usage = event.usage;
        break;
      case "error":
        throw new ApiError(500, event.message);
    }
  }
  return {
    id: identity.id,
    object: "chat.completion",
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: toolCalls.length > 0 && content === "" ? null : content,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage: toUsage(usage),
  };
}
