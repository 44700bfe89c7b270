// PURE: standard JSON Schema → the subset node-llama-cpp turns into a grammar (GbnfJsonSchema).
import type { GbnfJsonSchema } from "node-llama-cpp";

/** A schema the grammar cannot express; `path` points into the schema (e.g. `properties.city`). */
export class SchemaError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(path ? `${message} (at ${path})` : message);
    this.name = "SchemaError";
  }
}

type Json = Record<string, unknown>;

const PRIMITIVES = ["string", "number", "integer", "boolean", "null"] as const;
type Primitive = (typeof PRIMITIVES)[number];

/** Any JSON value at all: what `{}` or `true` means in JSON Schema. */
const ANY: GbnfJsonSchema = {
  oneOf: [{ type: ["string", "number", "boolean", "null"] }, { type: "object", additionalProperties: true }, { type: "array" }],
};

/**
 * Keywords that only annotate, or that constrain in ways a grammar cannot follow (number ranges,
 * regular expressions, uniqueness): dropped, so real-world schemas still work. The grammar is then
 * looser than the schema on exactly these keywords.
 */
const IGNORED = new Set([
  "$schema", "$id", "$comment", "title", "default", "examples", "readOnly", "writeOnly", "deprecated",
  "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "pattern", "uniqueItems",
  "contentEncoding", "contentMediaType", "strict", "discriminator", "propertyNames", "patternProperties",
]);
const UNSUPPORTED = ["not", "if", "then", "else", "dependentSchemas", "dependentRequired", "unevaluatedProperties", "contains"];
const STRING_FORMATS = new Set(["date-time", "time", "date"]);

/** Deepest nesting of subschemas a schema may have. */
export const MAX_SCHEMA_DEPTH = 64;
/** Most subschemas one schema may hold (each property, item, alternative and definition is one). */
export const MAX_SCHEMA_NODES = 20_000;

/** What one conversion may still spend: every schema's conversion is bounded, however it is built. */
interface Budget {
  nodes: number;
}

/** Normalizes `schema`; throws SchemaError for what no grammar here can enforce, or past the limits above. */
export function toGrammarSchema(schema: unknown): GbnfJsonSchema {
  return convert(schema, "", { nodes: MAX_SCHEMA_NODES }, 0);
}

/** The schema holds more subschemas (and enum values) than MAX_SCHEMA_NODES. */
function tooLarge(path: string): SchemaError {
  return new SchemaError(path, `the schema holds more than ${MAX_SCHEMA_NODES} subschemas and enum values, this server's limit`);
}

function convert(schema: unknown, path: string, budget: Budget, depth: number): GbnfJsonSchema {
  if (--budget.nodes < 0) throw tooLarge(path);
  if (depth > MAX_SCHEMA_DEPTH) throw new SchemaError(path, `the schema nests deeper than ${MAX_SCHEMA_DEPTH} levels, this server's limit`);
  if (schema === true) return ANY;
  if (schema === false) throw new SchemaError(path, "a schema of `false` allows no value");
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new SchemaError(path, "a schema must be an object");
  }
  const s = schema as Json;
  for (const keyword of UNSUPPORTED) {
    if (keyword in s) throw new SchemaError(join(path, keyword), `the JSON Schema keyword '${keyword}' is not supported`);
  }
  const defs = convertDefs(s, path, budget, depth);
  const withDefs = (out: GbnfJsonSchema): GbnfJsonSchema => (defs ? ({ ...out, $defs: defs } as GbnfJsonSchema) : out);
  const description = typeof s.description === "string" ? { description: s.description } : {};

  if (typeof s.$ref === "string") {
    const match = /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(s.$ref);
    if (!match) throw new SchemaError(join(path, "$ref"), `only local references (#/$defs/NAME) are supported, not '${s.$ref}'`);
    return withDefs({ $ref: `#/$defs/${match[1]}`, ...description } as GbnfJsonSchema);
  }
  if (Array.isArray(s.allOf)) {
    if (s.allOf.length !== 1) throw new SchemaError(join(path, "allOf"), "allOf with more than one schema is not supported");
    // The definitions were converted here, once: the merged schema does not carry them again.
    return withDefs(convert({ ...without(s, "allOf", "$defs", "definitions"), ...(s.allOf[0] as Json) }, path, budget, depth + 1));
  }
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives !== undefined) {
    const key = s.anyOf !== undefined ? "anyOf" : "oneOf";
    if (!Array.isArray(alternatives) || alternatives.length === 0) throw new SchemaError(join(path, key), `${key} must be a non-empty array`);
    return withDefs({ oneOf: alternatives.map((alt, i) => convert(alt, `${join(path, key)}[${i}]`, budget, depth + 1)), ...description });
  }
  if ("const" in s) return withDefs({ const: primitive(s.const, join(path, "const")), ...description });
  if (Array.isArray(s.enum)) {
    budget.nodes -= s.enum.length;
    if (budget.nodes < 0) throw tooLarge(join(path, "enum"));
    return withDefs({ enum: s.enum.map((v, i) => primitive(v, `${join(path, "enum")}[${i}]`)), ...description });
  }

  let types = inferTypes(s, path);
  if (s.nullable === true && !types.includes("null")) types = [...types, "null"];
  if (types.length === 0) return withDefs(ANY);
  if (types.length > 1) {
    if (types.every((t): t is Primitive => (PRIMITIVES as readonly string[]).includes(t)) && !types.includes("string")) {
      return withDefs({ type: types, ...description });
    }
    return withDefs({ oneOf: types.map((type) => convert({ ...without(s, "nullable", "$defs", "definitions"), type }, path, budget, depth + 1)), ...description });
  }
  const [type] = types as [string];
  switch (type) {
    case "string": {
      if (typeof s.format === "string" && STRING_FORMATS.has(s.format)) {
        return withDefs({ type: "string", format: s.format as "date", ...description });
      }
      return withDefs({ type: "string", ...pick(s, "minLength", "maxLength"), ...description });
    }
    case "number":
    case "integer":
    case "boolean":
    case "null":
      return withDefs({ type, ...description });
    case "object":
      return withDefs(convertObject(s, path, description, budget, depth));
    case "array":
      return withDefs({
        type: "array",
        ...(s.items !== undefined ? { items: convert(s.items, join(path, "items"), budget, depth + 1) } : {}),
        ...(Array.isArray(s.prefixItems) ? { prefixItems: s.prefixItems.map((item, i) => convert(item, `${join(path, "prefixItems")}[${i}]`, budget, depth + 1)) } : {}),
        ...pick(s, "minItems", "maxItems"),
        ...description,
      });
    default:
      throw new SchemaError(join(path, "type"), `unknown type '${type}'`);
  }
}

function convertObject(s: Json, path: string, description: object, budget: Budget, depth: number): GbnfJsonSchema {
  const properties = (s.properties ?? {}) as Json;
  if (typeof properties !== "object" || Array.isArray(properties)) throw new SchemaError(join(path, "properties"), "properties must be an object");
  const names = Object.keys(properties);
  if (names.length > budget.nodes) throw tooLarge(join(path, "properties"));
  const described = new Set(names);
  const required = Array.isArray(s.required) ? s.required.filter((name): name is string => typeof name === "string" && described.has(name)) : undefined;
  // JSON Schema allows extra properties unless told otherwise; a grammar for a described object
  // should not invent any, but an object with no properties described means "any object".
  const additional = s.additionalProperties === undefined ? names.length === 0 : s.additionalProperties;
  return {
    type: "object",
    properties: Object.fromEntries(names.map((name) => [name, convert(properties[name], join(path, `properties.${name}`), budget, depth + 1)])),
    ...(required ? { required } : {}),
    additionalProperties: typeof additional === "boolean" ? additional : convert(additional, join(path, "additionalProperties"), budget, depth + 1),
    ...pick(s, "minProperties", "maxProperties"),
    ...description,
  } as GbnfJsonSchema;
}

function convertDefs(s: Json, path: string, budget: Budget, depth: number): Record<string, GbnfJsonSchema> | undefined {
  const defs = (s.$defs ?? s.definitions) as Json | undefined;
  if (defs === undefined) return undefined;
  if (typeof defs !== "object" || defs === null) throw new SchemaError(join(path, "$defs"), "$defs must be an object");
  const names = Object.keys(defs);
  if (names.length > budget.nodes) throw tooLarge(join(path, "$defs"));
  return Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, convert(def, join(path, `$defs.${name}`), budget, depth + 1)]));
}

function inferTypes(s: Json, path: string): string[] {
  if (typeof s.type === "string") return [s.type];
  if (Array.isArray(s.type)) return [...new Set(s.type.map(String))];
  if (s.type !== undefined) throw new SchemaError(join(path, "type"), "type must be a string or an array of strings");
  if (s.properties !== undefined || s.additionalProperties !== undefined || s.required !== undefined) return ["object"];
  if (s.items !== undefined || s.prefixItems !== undefined) return ["array"];
  for (const key of Object.keys(s)) {
    if (!IGNORED.has(key) && !["description", "nullable", "$defs", "definitions", "format", "minLength", "maxLength"].includes(key)) {
      throw new SchemaError(join(path, key), `the JSON Schema keyword '${key}' is not supported`);
    }
  }
  return [];
}

function primitive(value: unknown, path: string): string | number | boolean | null {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return value as string | number | boolean | null;
  throw new SchemaError(path, "const and enum values must be strings, numbers, booleans or null");
}

function pick(s: Json, ...keys: string[]): Json {
  return Object.fromEntries(keys.filter((key) => typeof s[key] === "number").map((key) => [key, s[key]]));
}

function without(s: Json, ...keys: string[]): Json {
  return Object.fromEntries(Object.entries(s).filter(([key]) => !keys.includes(key)));
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
