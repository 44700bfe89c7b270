// Turns a schema failure into the 400 that names the offending parameter.
import type { z } from "zod";
import { ApiError } from "../errors/api-error.ts";

/** `["messages", 0, "role"]` → `messages[0].role`, as OpenAI writes `param`. */
export function formatParam(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === "number") return `${out}[${key}]`;
    return out === "" ? String(key) : `${out}.${String(key)}`;
  }, "");
}

/** The 400 for a failed parse; `at` is where the parsed value sits in the request body. */
export function validationError(error: z.ZodError, at: ReadonlyArray<PropertyKey> = []): ApiError {
  const issue = error.issues[0];
  if (!issue) return new ApiError(400, "Invalid request body");
  const param = formatParam([...at, ...issue.path]);
  return new ApiError(400, `Invalid value for '${param || "body"}': ${describe(issue)}`, {
    param: param || null,
    code: issue.code === "invalid_union" && "discriminator" in issue ? "invalid_value" : "invalid_type",
  });
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    // Name what each alternative wanted instead of zod's bare "Invalid input".
    const wanted = issue.errors
      .map((branch) => branch[0])
      .filter((first): first is z.core.$ZodIssue => first !== undefined)
      .map((first) => (first.code === "invalid_type" ? first.expected : first.message));
    return `expected ${[...new Set(wanted)].join(" or ")}`;
  }
  return issue.message;
}

/** `schema` applied to a part of the body at `at`; a failure names its param from the body's root. */
export function parseAt<T extends z.ZodType>(schema: T, value: unknown, at: ReadonlyArray<PropertyKey>): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, at);
  return parsed.data;
}
