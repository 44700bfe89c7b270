// POST /v1/completions: raw prompts (one choice each, generated side by side through the slot pool).
import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import { toApiError } from "../errors/api-error.ts";
import type { Engine } from "../engine/types.ts";
import type { StreamIdentity } from "../openai/types.ts";
import { collectCompletion, completionsEncoder } from "../openai/completions-encoder.ts";
import { parseCompletionsRequest } from "../openai/completions-request.ts";
import { openAiErrorBody } from "../openai/errors.ts";
import { readJson } from "../request/read-json.ts";
import type { ServerState } from "../server-state.ts";
import { startChoices } from "./generation.ts";
import { prepareOn, useModel } from "./model-use.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";
import type { ServerEnv } from "../http/request-scope.ts";

export function completionsRoutes(state: ServerState): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.post("/v1/completions", async (c) => {
    const body = await readJson(c.req.raw);
    const model = useModel(c, state, body);
    const request = parseCompletionsRequest(body);
    const prepared = [];
    for (const [i, prompt] of request.prompts.entries()) {
      const param = request.prompts.length > 1 ? `prompt[${i}]` : "prompt";
      const prepare = async (engine: Engine) => {
        // All the request's prompts must fit in the slots and the queue, not each alone.
        if (i === 0) engine.checkCapacity(request.prompts.length);
        return engine.prepareCompletion(prompt).catch((error: unknown) => {
          throw toApiError(error, { prompt: param, format: "prompt" });
        });
      };
      prepared.push(await prepareOn(model, state, request.stream, prepare));
    }
    const identity: StreamIdentity = { id: `cmpl-${randomBytes(12).toString("hex")}`, created: Math.floor(Date.now() / 1000), model: model.id };
    const generation = startChoices(c, state, prepared);
    if (!request.stream) return generation.answer((events) => collectCompletion(identity, prepared.length, events), { errorBody: openAiErrorBody });
    return generation.stream(completionsEncoder(identity, { choices: prepared.length, includeUsage: request.includeUsage }));
  });
  app.all("/v1/completions", methodNotAllowed("POST"));
  return app;
}
