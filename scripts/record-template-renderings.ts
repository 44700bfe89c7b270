// Usage: tsx scripts/record-template-renderings.ts LLAMA_SERVER [MODEL]
// Records how llama-server (built from the llama.cpp that node-llama-cpp bundles:
// ../shared/tools/build-peer.sh) renders every chat template of that release
// (models/templates/*.jinja in node-llama-cpp's llama/gitRelease.bundle) for each conversation of
// test/fixtures/templates/conversations.ts, through its POST /apply-template, into
// test/fixtures/templates/renderings.json; test/e2e/engine/chat-layer.test.ts compares oserve's
// chat layer with them without the peer. MODEL (default ../shared/models/oserve-tiny-chat.gguf)
// gives the vocabulary (its beginning and end tokens). A template the peer refuses to start with,
// or a conversation it refuses, is recorded as its error.
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chatInputs } from "../src/engine/chat-layer/inputs.ts";
import { CONVERSATIONS } from "../test/fixtures/templates/conversations.ts";
import { releaseTemplates } from "../test/fixtures/templates/release-templates.ts";

const ROOT = resolve(import.meta.dirname, "..");
const [server, model = resolve(ROOT, "../shared/models/oserve-tiny-chat.gguf")] = process.argv.slice(2);
if (!server) {
  console.error("usage: tsx scripts/record-template-renderings.ts LLAMA_SERVER [MODEL]");
  process.exit(2);
}

/** The OpenAI body llama-server builds the same chat layer inputs from (server-common.cpp). */
function peerBody(name: string): object {
  const inputs = chatInputs(CONVERSATIONS[name]!, { effort: null, budget: null });
  const kwargs = Object.fromEntries(Object.entries(inputs.chat_template_kwargs).map(([key, value]) => [key, JSON.parse(value)]));
  return {
    messages: inputs.messages,
    ...(inputs.tools.length > 0 ? { tools: inputs.tools, tool_choice: inputs.tool_choice } : {}),
    parallel_tool_calls: inputs.parallel_tool_calls,
    ...(inputs.enable_thinking ? {} : { reasoning_effort: "none" }),
    ...(Object.keys(kwargs).length > 0 ? { chat_template_kwargs: kwargs } : {}),
  };
}

async function withPeer<T>(templateFile: string, port: number, use: (url: string) => Promise<T>): Promise<T | { error: string }> {
  const peer = spawn(server!, ["-m", model, "--jinja", "--chat-template-file", templateFile, "--port", String(port), "-c", "2048", "-np", "1", "--no-warmup"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  peer.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((done) => peer.on("exit", () => done()));
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300; i++) {
      if (peer.exitCode !== null) return { error: log.split("\n").filter((line) => /error|fail/i.test(line)).slice(-2).join(" | ") || "the peer exited" };
      const up = await fetch(`${url}/health`).then((r) => r.ok, () => false);
      if (up) return await use(url);
      await new Promise((done) => setTimeout(done, 100));
    }
    return { error: "the peer did not start" };
  } finally {
    peer.kill();
    await exited;
  }
}

const templates = releaseTemplates();
const recordedAt = Date.now();
const renderings: Record<string, Record<string, { prompt: string } | { error: string }> | { error: string }> = {};
let port = 18200;
for (const [file, text] of templates) {
  const templateFile = join(tmpdir(), `oserve-template-${process.pid}.jinja`);
  writeFileSync(templateFile, text);
  renderings[file] = await withPeer(templateFile, port++, async (url) => {
    const byConversation: Record<string, { prompt: string } | { error: string }> = {};
    for (const name of Object.keys(CONVERSATIONS)) {
      const response = await fetch(`${url}/apply-template`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(peerBody(name)) });
      const body = (await response.json()) as { prompt?: string; error?: { message: string } };
      byConversation[name] = response.ok && typeof body.prompt === "string" ? { prompt: body.prompt } : { error: body.error?.message ?? `status ${response.status}` };
    }
    return byConversation;
  });
  rmSync(templateFile, { force: true });
  const result = renderings[file]!;
  console.log(`${file}: ${"error" in result && typeof result.error === "string" ? `refused (${result.error})` : `${Object.values(result).filter((r) => "prompt" in r).length} of ${Object.keys(CONVERSATIONS).length} rendered`}`);
}
const out = resolve(ROOT, "test/fixtures/templates/renderings.json");
writeFileSync(out, `${JSON.stringify({ recordedAt, model: "oserve-tiny-chat.gguf", renderings }, null, 1)}\n`);
console.log(`wrote ${out}`);
