// POST /v1/chat/completions: request → schema → engine events → encoder → response.
import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import { chatEncoder } from "../openai/chat-encoder.ts";
import type { StreamIdentity } from "../openai/types.ts";
import { collectChat } from "../openai/chat-collect.ts";
import { parseChatRequest } from "../openai/chat-request.ts";
import { openAiErrorBody } from "../openai/errors.ts";
import { noticeHeaders } from "../request/omitted-content.ts";
import { readJson } from "../request/read-json.ts";
import type { ServerState } from "../server-state.ts";
import { startGeneration } from "./generation.ts";
import { prepareOn, useModel } from "./model-use.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";
import type { ServerEnv } from "../http/request-scope.ts";

export function chatRoutes(state: ServerState): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.post("/v1/chat/completions", async (c) => {
    const body = await readJson(c.req.raw);
    const model = useModel(c, state, body);
    const request = parseChatRequest(body);
    const prepared = await prepareOn(model, state, request.stream, (engine) => engine.prepare(request.generation));
    const identity: StreamIdentity = {
      id: `chatcmpl-${randomBytes(12).toString("hex")}`,
      created: Math.floor(Date.now() / 1000),
      model: model.id,
    };
    const generation = startGeneration(c, state, prepared);
    const { reasoningFormat } = state.config.server;
    const headers = noticeHeaders(request);
    if (!request.stream) return generation.answer((events) => collectChat(identity, events, reasoningFormat), { errorBody: openAiErrorBody, headers });
    return generation.stream(chatEncoder(identity, { includeUsage: request.includeUsage, reasoningFormat }), { headers });
  });
  app.all("/v1/chat/completions", methodNotAllowed("POST"));
  return app;
}
