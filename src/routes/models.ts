// GET /v1/models and /v1/models/:id: the one loaded model, in OpenAI's list shape.
import { Hono } from "hono";
import { ApiError } from "../api-error.ts";
import type { ModelList } from "../openai/types.ts";
import type { ServerState } from "../server-state.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";

export function modelRoutes(state: ServerState): Hono {
  const app = new Hono();
  const model = () => ({ id: state.config.modelAlias, object: "model" as const, created: state.startedAt, owned_by: "oserve" });
  app.get("/v1/models", (c) => c.json({ object: "list", data: [model()] } satisfies ModelList));
  app.get("/v1/models/:id{.+}", (c) => {
    if (c.req.param("id") !== state.config.modelAlias) {
      throw new ApiError(404, `The model '${c.req.param("id")}' does not exist; this server serves '${state.config.modelAlias}'.`, {
        type: "not_found_error",
        param: "model",
        code: "model_not_found",
      });
    }
    return c.json(model());
  });
  app.all("/v1/models/*", methodNotAllowed("GET"));
  app.all("/v1/models", methodNotAllowed("GET"));
  return app;
}
