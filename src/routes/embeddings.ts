// POST /v1/embeddings: each input measured first (a 400 names any that does not fit), then embedded in
// turn, until the client leaves.
import { Hono } from "hono";
import { ApiError, CLIENT_GONE_STATUS, invalidParam } from "../errors/api-error.ts";
import { checkDimensions, embeddingList, parseEmbeddingsRequest } from "../openai/embeddings.ts";
import { readJson } from "../request/read-json.ts";
import type { ServerState } from "../server-state.ts";
import { useModel } from "./model-use.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";
import type { ServerEnv } from "../http/request-scope.ts";

export function embeddingsRoutes(state: ServerState): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.post("/v1/embeddings", async (c) => {
    const body = await readJson(c.req.raw);
    const model = useModel(c, state, body, state.config.server.embeddingModel);
    const request = parseEmbeddingsRequest(body);
    const { embeddings } = await model.engine();
    checkDimensions(request.dimensions, embeddings.dimensions);
    // The embedding context evaluates one input at a time (it has a single sequence): requests take
    // it in turn, a full queue is a 429 before any work.
    const release = await embeddings.hold(c.var.scope.signal);
    try {
      let promptTokens = 0;
      const inputs: Array<readonly number[]> = [];
      // Not held (the client left, or the server stops, while it waited): nothing to measure or embed.
      for (const [i, input] of release === null ? [] : request.inputs.entries()) {
        if (c.var.scope.signal.aborted) break;
        const tokens = await embeddings.tokenize(input);
        const length = await embeddings.measure(tokens);
        if (length >= embeddings.contextSize) {
          const param = request.inputs.length > 1 ? `input[${i}]` : "input";
          throw invalidParam(param, `This input is ${length} tokens long, but an input may take at most ${embeddings.contextSize - 1} tokens.`, "context_length_exceeded");
        }
        inputs.push(tokens);
        promptTokens += length;
      }
      const vectors: number[][] = [];
      for (const tokens of inputs) {
        if (c.var.scope.signal.aborted) break;
        vectors.push(await embeddings.embed(tokens));
      }
      // A client gone stops the work at the next input, and is logged and counted as such.
      if (c.var.scope.clientSignal.aborted) throw new ApiError(CLIENT_GONE_STATUS, "The client disconnected.");
      state.checkOpen(); // a shutdown begun meanwhile is a 503, not a partial list
      return c.json(embeddingList(model.id, vectors, request.encoding, promptTokens));
    } finally {
      release?.();
    }
  });
  app.all("/v1/embeddings", methodNotAllowed("POST"));
  return app;
}
