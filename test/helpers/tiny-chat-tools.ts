// Tool definitions the tiny chat model was trained on (see ../shared/models/README.md).
import type OpenAI from "openai";

type Tool = OpenAI.Chat.Completions.ChatCompletionFunctionTool;

const cityParams = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };

export const GET_WEATHER: Tool = {
  type: "function",
  function: { name: "get_weather", description: "Get the current weather in a city", parameters: cityParams },
};
export const GET_TIME: Tool = {
  type: "function",
  function: { name: "get_time", description: "Get the current time in a city", parameters: cityParams },
};
export const ADD: Tool = {
  type: "function",
  function: {
    name: "add",
    description: "Add two numbers",
    parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
  },
};
export const SEARCH_DOCS: Tool = {
  type: "function",
  function: { name: "search_docs", description: "Search the documentation", parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] } },
};

/**
 * The same tools with bounded strings: a random-weight model never closes an unbounded string,
 * so where the grammar alone must decide, the schema bounds it.
 */
export function bounded(tool: Tool): Tool {
  const params = structuredClone(tool.function.parameters) as { properties: Record<string, { type: string; maxLength?: number }> };
  for (const property of Object.values(params.properties)) if (property.type === "string") property.maxLength = 16;
  return { ...tool, function: { ...tool.function, parameters: params } };
}

export const OSLO_WEATHER = { city: "Oslo", temperature: 12, condition: "rainy" };
export const OSLO_ANSWER = "It is 12°C and rainy in Oslo.";
/**
 * The weather as a Python tool returns it (`json.dumps`: a space after each colon and comma), as the
 * thinking models were trained to read it. A model's own template renders a tool's output as sent,
 * as llama-server does (node-llama-cpp's wrappers wrote it out again that way).
 */
export const OSLO_WEATHER_TEXT = '{"city": "Oslo", "temperature": 12, "condition": "rainy"}';
