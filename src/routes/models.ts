// GET /v1/models and /v1/models/:id: every model served (the default first), in OpenAI's list shape, or in Anthropic's
// when the request carries `anthropic-version` (as Anthropic's SDKs send on every request).
import { Hono } from "hono";
import { isAnthropic } from "../http/error-response.ts";
import { ApiError } from "../errors/api-error.ts";
import type { ModelList } from "../openai/types.ts";
import type { ServerState } from "../server-state.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";
import { redactForClient } from "../errors/redact.ts";
import type { ServerEnv } from "../http/request-scope.ts";

export function modelRoutes(state: ServerState): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  // The default model first (what `oserve launch --url` and other clients that take the first one use), then the others in order.
  const names = () => state.modelNames();
  const loaded = (id: string) => state.pool?.loaded(id) ?? null;
  const settings = (id: string) => state.config.models.find((model) => model.alias === id)?.settings;
  // A model not loaded: the window its settings ask for, if they name one.
  const window = (id: string) => loaded(id)?.contextSize ?? settings(id)?.ctxSize ?? null;
  // llama-server's router mode says a model's state so: loaded, loading or unloaded, and `failed` where its last load failed.
  const status = (id: string) => {
    const pool = state.pool;
    if (!pool) return { value: "loading" };
    const failed = pool.lastError(id);
    return { value: pool.state(id) === "unloading" ? "loaded" : pool.state(id), ...(failed ? { failed: true, error: redactForClient(failed.message) } : {}) };
  };
  const openAiModel = (id: string) => ({ id, object: "model" as const, created: state.startedAt, owned_by: "oserve", max_model_len: window(id), status: status(id) });
  // Anthropic's model object says the window and the most an answer may take: what an agent needs to size its turns.
  const anthropicModel = (id: string) => ({
    type: "model" as const,
    id,
    display_name: id,
    created_at: new Date(state.startedAt * 1000).toISOString(),
    max_input_tokens: window(id),
    max_tokens: loaded(id)?.maxTokens ?? settings(id)?.maxTokens ?? window(id),
    capabilities: null,
    lifecycle: "active" as const,
    line: null,
    deprecated_at: null,
    retires_at: null,
    status: status(id),
  });
  app.get("/v1/models", (c) => {
    if (!isAnthropic(c)) return c.json({ object: "list", data: names().map(openAiModel) } satisfies ModelList);
    const models = names().map(anthropicModel);
    return c.json({ data: models, has_more: false, first_id: models[0]!.id, last_id: models.at(-1)!.id });
  });
  app.get("/v1/models/:id{.+}", (c) => {
    const id = c.req.param("id");
    if (!names().includes(id)) {
      throw new ApiError(404, `The model '${id}' does not exist; this server serves ${names().map((name) => `'${name}'`).join(", ")}.`, {
        type: "not_found_error",
        param: "model",
        code: "model_not_found",
      });
    }
    return c.json(isAnthropic(c) ? anthropicModel(id) : openAiModel(id));
  });
  app.all("/v1/models/*", methodNotAllowed("GET"));
  app.all("/v1/models", methodNotAllowed("GET"));
  return app;
}
