// POST /v1/responses (OpenAI's Responses API), and GET/DELETE of the responses kept for chaining.
import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import { ApiError, toApiError } from "../errors/api-error.ts";
import { ContextOverflowError } from "../engine/errors.ts";
import type { EngineEvent } from "../engine/events.ts";
import { openAiErrorBody } from "../openai/errors.ts";
import { conversationAfter, ResponseStore } from "../openai/response-store.ts";
import { collectResponse } from "../openai/responses-collect.ts";
import { responsesEncoder, type ResponsesEncoderOptions } from "../openai/responses-encoder.ts";
import { parseResponsesRequest, type ApiFunctionName } from "../openai/responses-request.ts";
import type { ResponseEcho } from "../openai/responses-types.ts";
import { noticeHeaders } from "../request/omitted-content.ts";
import { readJson } from "../request/read-json.ts";
import type { ServerState } from "../server-state.ts";
import { refusedInStream, startGeneration } from "./generation.ts";
import { prepareOn, useModel } from "./model-use.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";
import type { ServerEnv } from "../http/request-scope.ts";

const PARAMS = { prompt: "input", format: "text.format.schema" };

export function responsesRoutes(state: ServerState, store = new ResponseStore()): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.post("/v1/responses", async (c) => {
    const body = await readJson(c.req.raw);
    const model = useModel(c, state, body);
    const seal = state.thoughtSeal;
    const request = parseResponsesRequest(body, store, (sealed) => seal.open(sealed));
    const prepared = await prepareOn(model, state, request.stream, (engine) =>
      engine.prepare(request.generation).catch((error: unknown) => {
        if (request.stream && error instanceof ContextOverflowError) return refusedInStream(error);
        throw toApiError(error, PARAMS);
      }),
    );
    const echo: ResponseEcho = {
      ...request.echo,
      id: `resp_${randomBytes(12).toString("hex")}`,
      created_at: Math.floor(Date.now() / 1000),
      model: model.id,
    };
    const options: ResponsesEncoderOptions = {
      functionName: (name: string): ApiFunctionName => request.functionNames.get(name) ?? { name },
      sealThought: request.includeEncryptedReasoning ? (thought) => seal.seal(thought) : null,
    };
    // Hosted tools the model cannot run, and images and files it cannot read, were left out; say which, so that a client can tell.
    const headers = noticeHeaders(request);
    const keep = (events: EngineEvent[]) => {
      if (!request.store) return;
      const response = collectResponse(echo, options, events);
      store.put(response, conversationAfter(request.conversation, response.output), request.identifiedItems);
    };
    const generation = startGeneration(c, state, prepared);
    if (request.stream) return generation.stream(responsesEncoder(echo, options), { headers, onComplete: keep });
    const build = (events: EngineEvent[]) => {
      keep(events);
      return collectResponse(echo, options, events);
    };
    return generation.answer(build, { errorBody: openAiErrorBody, headers });
  });
  app.all("/v1/responses", methodNotAllowed("POST"));
  app.get("/v1/responses/:id", (c) => c.json(stored(store, c.req.param("id"))));
  app.delete("/v1/responses/:id", (c) => {
    const id = stored(store, c.req.param("id")).id;
    store.delete(id);
    return c.json({ id, object: "response", deleted: true });
  });
  app.all("/v1/responses/:id", methodNotAllowed("GET, DELETE"));
  return app;
}

function stored(store: ResponseStore, id: string) {
  const response = store.response(id);
  if (!response) throw new ApiError(404, `No response '${id}' is kept here.`, { type: "not_found_error", param: "response_id", code: "not_found" });
  return response;
}
