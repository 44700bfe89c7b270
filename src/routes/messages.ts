// POST /v1/messages (Anthropic's Messages API) and POST /v1/messages/count_tokens.
import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import { toApiError } from "../errors/api-error.ts";
import { anthropicErrorBody, promptTooLong } from "../anthropic/errors.ts";
import { ContextOverflowError } from "../engine/errors.ts";
import { collectMessage } from "../anthropic/messages-collect.ts";
import { messagesEncoder, type MessageIdentity, type MessagesEncoderOptions } from "../anthropic/messages-encoder.ts";
import { parseCountTokensRequest, parseMessagesRequest } from "../anthropic/messages-request.ts";
import { noticeHeaders } from "../request/omitted-content.ts";
import { readJson } from "../request/read-json.ts";
import type { ServerState } from "../server-state.ts";
import { startGeneration } from "./generation.ts";
import { prepareOn, useModel } from "./model-use.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";
import type { ServerEnv } from "../http/request-scope.ts";

const PARAMS = { prompt: "messages", format: "tools" };

export function messagesRoutes(state: ServerState): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  // `?beta=true` (Claude Code) and the `anthropic-version` / `anthropic-beta` headers change nothing here.
  app.post("/v1/messages", async (c) => {
    const body = await readJson(c.req.raw);
    const model = useModel(c, state, body);
    const seal = state.thoughtSeal;
    const request = parseMessagesRequest(body, (sealed) => seal.open(sealed));
    const prepared = await prepareOn(model, state, request.stream, (engine) =>
      engine.prepare(request.generation).catch((error: unknown) => {
        throw error instanceof ContextOverflowError ? promptTooLong(error) : toApiError(error, PARAMS);
      }),
    );
    // A model that loads inside the stream: message_start says 0 input tokens, the closing message_delta the real count.
    const identity: MessageIdentity = { id: `msg_${randomBytes(12).toString("hex")}`, model: model.id, inputTokens: prepared.promptTokens };
    const headers = noticeHeaders(request);
    const options: MessagesEncoderOptions = { thinkingDisplay: request.thinkingDisplay, sealThought: (thought) => seal.seal(thought) };
    const generation = startGeneration(c, state, prepared);
    if (request.stream) return generation.stream(messagesEncoder(identity, options), { headers });
    return generation.answer((events) => collectMessage(identity, options, events), { errorBody: anthropicErrorBody, headers });
  });
  app.all("/v1/messages", methodNotAllowed("POST"));
  app.post("/v1/messages/count_tokens", async (c) => {
    const body = await readJson(c.req.raw);
    const model = useModel(c, state, body);
    const seal = state.thoughtSeal;
    const request = parseCountTokensRequest(body, (sealed) => seal.open(sealed));
    const engine = await model.engine();
    engine.checkCapacity(1); // a busy server's 429 before the rendering's work, as a generation gets
    return c.json({ input_tokens: await engine.countPromptTokens(request) });
  });
  app.all("/v1/messages/count_tokens", methodNotAllowed("POST"));
  return app;
}
