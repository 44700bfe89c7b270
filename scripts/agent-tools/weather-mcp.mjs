// A stdio MCP server with one tool, get_weather(city), for scripts/agent-tool-loop.sh: the tool the
// test models were taught to call, offered to a real agent. JSON-RPC 2.0, one message a line.
import { createInterface } from "node:readline";

const TOOL = {
  name: "get_weather",
  description: "Get the current weather in a city",
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);

createInterface({ input: process.stdin }).on("line", (line) => {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return;
  }
  const { id, method, params } = request;
  if (id === undefined) return; // a notification
  switch (method) {
    case "initialize":
      return send({ id, result: { protocolVersion: params?.protocolVersion ?? "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "weather", version: "1.0.0" } } });
    case "tools/list":
      return send({ id, result: { tools: [TOOL] } });
    case "tools/call": {
      const city = String(params?.arguments?.city ?? "");
      const text = JSON.stringify({ city, temperature: 12, condition: "rainy" }).replace(/[:,]/g, "$& ");
      return send({ id, result: { content: [{ type: "text", text }] } });
    }
    default:
      return send({ id, error: { code: -32601, message: `no method ${method}` } });
  }
});
