// What the model sees, with llama-server's request and response shapes: POST /apply-template (a
// chat request's prompt as the model's chat format renders it), POST /tokenize, POST /detokenize.
import { Hono } from "hono";
import { invalidParam } from "../errors/api-error.ts";
import { parseChatRequest } from "../openai/chat-request.ts";
import { readJson } from "../request/read-json.ts";
import type { ServerState } from "../server-state.ts";
import { useModel } from "./model-use.ts";
import { methodNotAllowed } from "./method-not-allowed.ts";
import type { ServerEnv } from "../http/request-scope.ts";

/** A field of the body of the given type, or its default; a 400 naming it otherwise. */
function field<T>(body: Record<string, unknown>, name: string, is: (value: unknown) => value is T, fallback: T | undefined, expected: string): T {
  const value = body[name];
  if (value === undefined && fallback !== undefined) return fallback;
  if (!is(value)) throw invalidParam(name, `'${name}' must be ${expected}.`);
  return value;
}

const isString = (value: unknown): value is string => typeof value === "string";
const isBoolean = (value: unknown): value is boolean => typeof value === "boolean";
const isTokens = (value: unknown): value is number[] => Array.isArray(value) && value.every((token) => Number.isInteger(token));

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalidParam("body", "The request body must be a JSON object.");
  return body as Record<string, unknown>;
}

export function tokenRoutes(state: ServerState): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.post("/apply-template", async (c) => {
    const body = await readJson(c.req.raw);
    const model = useModel(c, state, body);
    const request = parseChatRequest(body);
    const engine = await model.engine();
    engine.checkCapacity(1); // a busy server's 429 before the rendering's work
    return c.json({ prompt: await engine.renderPrompt(request.generation) });
  });
  app.post("/tokenize", async (c) => {
    const body = object(await readJson(c.req.raw));
    const model = useModel(c, state, body);
    const content = field(body, "content", isString, undefined, "a string");
    const addSpecial = field(body, "add_special", isBoolean, false, "true or false");
    const parseSpecial = field(body, "parse_special", isBoolean, true, "true or false");
    const withPieces = field(body, "with_pieces", isBoolean, false, "true or false");
    const engine = await model.engine();
    engine.checkCapacity(1);
    const tokens = await engine.tokenize(content, { addSpecial, parseSpecial });
    return c.json({ tokens: withPieces ? tokens.map((id) => ({ id, piece: engine.tokenPiece(id) })) : tokens });
  });
  app.post("/detokenize", async (c) => {
    const body = object(await readJson(c.req.raw));
    const model = useModel(c, state, body);
    const tokens = field(body, "tokens", isTokens, [], "an array of token ids");
    return c.json({ content: (await model.engine()).detokenize(tokens) });
  });
  for (const path of ["/apply-template", "/tokenize", "/detokenize"]) app.all(path, methodNotAllowed("POST"));
  return app;
}
