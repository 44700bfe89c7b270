// GET /v1/models and /v1/models/:id: the one loaded model, in OpenAI's list shape, or in Anthropic's
// when the request carries `anthropic-version` (as Anthropic's SDKs send on every request).
import { Hono, type Context } from "hono";
import { ApiError } from "../api-error.ts";
import type { ModelList } from "../openai/types.ts";
import type { ServerState } from "../server-state.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";

export function modelRoutes(state: ServerState): Hono {
  const app = new Hono();
  const window = () => state.engine?.contextSize ?? null;
  const openAiModel = () => ({ id: state.config.modelAlias, object: "model" as const, created: state.startedAt, owned_by: "oserve", max_model_len: window() });
  // Anthropic's model object says the window and the most an answer may take: what an agent needs to size its turns.
  const anthropicModel = () => ({
    type: "model" as const,
    id: state.config.modelAlias,
    display_name: state.config.modelAlias,
    created_at: new Date(state.startedAt * 1000).toISOString(),
    max_input_tokens: window(),
    max_tokens: state.engine?.maxTokens ?? window(),
    capabilities: null,
    lifecycle: "active" as const,
    line: null,
    deprecated_at: null,
    retires_at: null,
  });
  app.get("/v1/models", (c) => {
    if (!isAnthropic(c)) return c.json({ object: "list", data: [openAiModel()] } satisfies ModelList);
    const model = anthropicModel();
    return c.json({ data: [model], has_more: false, first_id: model.id, last_id: model.id });
  });
  app.get("/v1/models/:id{.+}", (c) => {
    if (c.req.param("id") !== state.config.modelAlias) {
      throw new ApiError(404, `The model '${c.req.param("id")}' does not exist; this server serves '${state.config.modelAlias}'.`, {
        type: "not_found_error",
        param: "model",
        code: "model_not_found",
      });
    }
    return c.json(isAnthropic(c) ? anthropicModel() : openAiModel());
  });
  app.all("/v1/models/*", methodNotAllowed("GET"));
  app.all("/v1/models", methodNotAllowed("GET"));
  return app;
}

/** Anthropic's clients send `anthropic-version` on every request; OpenAI's never do. */
export function isAnthropic(c: Context): boolean {
  return c.req.header("anthropic-version") !== undefined;
}
