// The rules on tools, tool choice and output format that every API shares, in the engine's terms.
import type { GbnfJsonSchema } from "node-llama-cpp";
import { invalidParam } from "../errors/api-error.ts";
import { SchemaError, toGrammarSchema } from "../engine/json-schema.ts";
import type { OutputFormat, ToolChoice, ToolSpec } from "../engine/types.ts";

/** A JSON Schema from the request in the grammar's subset; a 400 naming `param` when no grammar can follow it. */
export function grammarSchema(schema: unknown, param: string): GbnfJsonSchema {
  try {
    return toGrammarSchema(schema);
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    throw invalidParam(param, `Unsupported schema: ${error.message}.`, "invalid_schema");
  }
}

/** Where each of these sits in the API's request, for the errors. */
export interface ToolParams {
  tools: string;
  toolChoice: string;
  format: string;
}

/** Tool names are unique, a forced choice has something to call, and a format does not fight the tools. */
export function checkTools(tools: readonly ToolSpec[], choice: ToolChoice, format: OutputFormat, params: ToolParams): void {
  const names = tools.map((t) => t.name);
  const seen = new Set<string>();
  const duplicate = names.find((name) => seen.size === seen.add(name).size);
  if (duplicate !== undefined) throw invalidParam(params.tools, `Two tools are named '${duplicate}'; tool names must be unique.`);
  if ((choice.type === "required" || choice.type === "function") && tools.length === 0) {
    throw invalidParam(params.toolChoice, `This tool choice needs at least one tool in '${params.tools}'.`);
  }
  if (choice.type === "function" && !seen.has(choice.name)) {
    throw invalidParam(params.toolChoice, `The tool choice names '${choice.name}', which is not among the tools: ${names.join(", ")}.`);
  }
  if (format.type !== "text" && tools.length > 0 && choice.type !== "none") {
    throw invalidParam(
      params.format,
      "An output format cannot constrain the answer while the model may call tools; choose no tool (tool choice 'none') or leave out the format.",
    );
  }
}
