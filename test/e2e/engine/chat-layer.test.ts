// llama.cpp's chat layer in the engine build (native/chat-layer.cpp): every chat template of the
// release node-llama-cpp bundles renders the fixed conversations byte for byte as llama-server's
// /apply-template did (test/fixtures/templates/renderings.json, recorded by
// scripts/record-template-renderings.ts), and each family's own output is parsed into the same calls
// whole and streamed a few characters at a time (what the server streams).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Llama, LlamaModel } from "node-llama-cpp";
import { chatInputs } from "../../../src/engine/chat-layer/inputs.ts";
import { ChatLayer } from "../../../src/engine/chat-layer/native.ts";
import { NativeChat } from "../../../src/engine/chat-layer/native-turn.ts";
import { DiffEvents } from "../../../src/engine/chat-layer/diff-events.ts";
import { ParserSink } from "../../../src/engine/chat-layer/parser-sink.ts";
import type { EventQueue } from "../../../src/engine/event-queue.ts";
import { engineBuild } from "../../../src/engine/engine-build.ts";
import type { EngineEvent } from "../../../src/engine/events.ts";
import { importNodeLlamaCpp, type NodeLlamaCppModule } from "../../../src/engine/node-llama-cpp.ts";
import { CONVERSATIONS, TOOLS } from "../../fixtures/templates/conversations.ts";
import { releaseTemplates } from "../../fixtures/templates/release-templates.ts";
import { TINY_CHAT } from "../../helpers/test-server.ts";
import { needsEngineBuild } from "../../helpers/needs-engine-build.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const FIXTURES = resolve(ROOT, "test/fixtures/templates/renderings.json");

interface Recorded {
  recordedAt: number;
  renderings: Record<string, Record<string, { prompt: string } | { error: string }> | { error: string }>;
}

let lib: NodeLlamaCppModule;
let llama: Llama;
let model: LlamaModel;
let templates: Map<string, string>;

function layerFor(file: string): ChatLayer {
  const layer = ChatLayer.of(llama, model, templates.get(file)!);
  assert.ok(layer, "the engine build has llama.cpp's chat layer");
  return layer;
}

/** What a parser reads from `output`, fed in pieces of `step` characters (Infinity: whole), as engine events merged per call. */
function parse(layer: ChatLayer, output: string, step: number) {
  const inputs = chatInputs(CONVERSATIONS.tools!, { effort: null, budget: null });
  const params = layer.apply(inputs);
  const parser = layer.parser(params, true);
  let ids = 0;
  const diffs = new DiffEvents(() => `call_${ids++}`);
  const events: EngineEvent[] = [];
  for (let at = 0; at < output.length; at += step) events.push(...diffs.push(parser.update(output.slice(at, at + step), true)));
  events.push(...diffs.push(parser.update("", false), true));
  const calls: Array<{ name: string; arguments: unknown }> = [];
  let text = "";
  let reasoning = "";
  for (const event of events) {
    if (event.type === "tool_call") calls[event.index] = { name: event.name, arguments: "" };
    else if (event.type === "tool_call_arguments") (calls[event.index] as { arguments: string }).arguments += event.arguments;
    else if (event.type === "text") text += event.text;
    else if (event.type === "reasoning") reasoning += event.text;
  }
  return { calls: calls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments as string) })), text, reasoning };
}

const CODE = 'def f():\n    return "it\'s \\"quoted\\""\n';

/** Each family's own output for: one call with code in an argument, two calls, a call after a thought. */
const FAMILIES: Array<{ template: string; output: string; calls: Array<{ name: string; arguments: unknown }>; reasoning?: string }> = [
  {
    template: "Qwen3-Coder.jinja",
    output: `<tool_call>\n<function=bash>\n<parameter=command>\n${CODE}</parameter>\n</function>\n</tool_call>\n<tool_call>\n<function=read_file>\n<parameter=path>\nREADME.md\n</parameter>\n</function>\n</tool_call>`,
    calls: [
      { name: "bash", arguments: { command: CODE.replace(/\n$/, "") } },
      { name: "read_file", arguments: { path: "README.md" } },
    ],
  },
  {
    template: "Qwen3.5-4B.jinja",
    output: `I need to look.\n</think>\n\n<tool_call>\n<function=read_file>\n<parameter=path>\nREADME.md\n</parameter>\n</function>\n</tool_call>`,
    calls: [{ name: "read_file", arguments: { path: "README.md" } }],
    reasoning: "I need to look.",
  },
  {
    template: "Qwen-Qwen3-0.6B.jinja",
    output: `<think>\nI need to look.\n</think>\n\n<tool_call>\n{"name": "bash", "arguments": {"command": ${JSON.stringify(CODE)}}}\n</tool_call>\n<tool_call>\n{"name": "read_file", "arguments": {"path": "README.md"}}\n</tool_call>`,
    calls: [
      { name: "bash", arguments: { command: CODE } },
      { name: "read_file", arguments: { path: "README.md" } },
    ],
    reasoning: "I need to look.",
  },
  {
    template: "Kimi-K2-Instruct.jinja",
    output: `<|tool_calls_section_begin|><|tool_call_begin|>functions.bash:0<|tool_call_argument_begin|>${JSON.stringify({ command: CODE })}<|tool_call_end|><|tool_call_begin|>functions.read_file:1<|tool_call_argument_begin|>{"path": "README.md"}<|tool_call_end|><|tool_calls_section_end|>`,
    calls: [
      { name: "bash", arguments: { command: CODE } },
      { name: "read_file", arguments: { path: "README.md" } },
    ],
  },
  {
    template: "unsloth-mistral-Devstral-Small-2507.jinja",
    output: `[TOOL_CALLS]bash[ARGS]${JSON.stringify({ command: CODE })}[TOOL_CALLS]read_file[ARGS]{"path": "README.md"}`,
    calls: [
      { name: "bash", arguments: { command: CODE } },
      { name: "read_file", arguments: { path: "README.md" } },
    ],
  },
  {
    template: "openai-gpt-oss-120b.jinja",
    output: `<|channel|>analysis<|message|>I need to look.<|end|><|start|>assistant<|channel|>commentary to=functions.bash <|constrain|>json<|message|>${JSON.stringify({ command: CODE })}<|call|>`,
    calls: [{ name: "bash", arguments: { command: CODE } }],
    reasoning: "I need to look.",
  },
];

describe("llama.cpp's chat layer", { timeout: 120_000 }, () => {
  before(async () => {
    lib = await importNodeLlamaCpp();
    llama = await lib.getLlama({ gpu: false, build: "never", logLevel: lib.LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath: TINY_CHAT, vocabOnly: true });
    templates = releaseTemplates();
  });
  after(async () => {
    await model?.dispose();
  });

  /**
   * The prompt with today's date, as templates write it, put back to the recording's: llama.cpp's chat
   * layer takes some templates' date from the clock, not from now_ms (Mistral Small 3.2, Apertus,
   * Firefunction v2), so after the day the renderings were recorded they differ in it alone.
   */
  const onRecordedDay = (prompt: string, recordedAt: number) => {
    const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    const forms = (date: Date) => {
      const [year, month, day] = [date.getFullYear(), MONTHS[date.getMonth()]!, date.getDate()];
      const dd = String(day).padStart(2, "0");
      const mm = String(date.getMonth() + 1).padStart(2, "0");
      return [`${year}-${mm}-${dd}`, `${month.slice(0, 3)} ${dd} ${year}`, `${dd} ${month.slice(0, 3)} ${year}`, `${month} ${dd}, ${year}`, `${dd} ${month} ${year}`, `${month} ${day}, ${year}`, `${day} ${month} ${year}`];
    };
    const [today, then] = [forms(new Date()), forms(new Date(recordedAt))];
    return today.reduce((text, form, i) => text.replaceAll(form, then[i]!), prompt);
  };

  test("every template of the release renders each conversation as llama-server's /apply-template did", (t) => {
    if (!needsEngineBuild(t, engineBuild(llama))) return;
    const recorded = JSON.parse(readFileSync(FIXTURES, "utf8")) as Recorded;
    let compared = 0;
    const mismatches: string[] = [];
    for (const [file, byConversation] of Object.entries(recorded.renderings)) {
      if ("error" in byConversation && typeof byConversation.error === "string") continue;
      const layer = layerFor(file);
      for (const [name, peer] of Object.entries(byConversation as Record<string, { prompt: string } | { error: string }>)) {
        if (!("prompt" in peer)) continue;
        const prompt = onRecordedDay(layer.apply({ ...chatInputs(CONVERSATIONS[name]!, { effort: null, budget: null }), now_ms: recorded.recordedAt }).prompt, recorded.recordedAt);
        compared++;
        if (prompt !== peer.prompt) mismatches.push(`${file} / ${name}`);
      }
    }
    assert.deepEqual(mismatches, []);
    const recordedPrompts = Object.values(recorded.renderings).flatMap((byConversation) => Object.values(byConversation)).filter((peer) => typeof peer === "object" && "prompt" in peer);
    assert.equal(compared, recordedPrompts.length);
    assert.ok(compared >= 400, `${compared} renderings compared`);
  });

  for (const family of FAMILIES) {
    test(`${family.template}: the family's own calls are read whole and streamed alike`, (t) => {
      if (!needsEngineBuild(t, engineBuild(llama))) return;
      const layer = layerFor(family.template);
      const whole = parse(layer, family.output, Infinity);
      assert.deepEqual(whole.calls, family.calls);
      if (family.reasoning) assert.equal(whole.reasoning.trim(), family.reasoning);
      for (const step of [1, 3]) assert.deepEqual(parse(layer, family.output, step), whole, `in pieces of ${step}`);
    });
  }

  test("Qwen3-Coder: a call without its <tool_call> opener, or with text after it, is still a call", (t) => {
    if (!needsEngineBuild(t, engineBuild(llama))) return;
    const layer = layerFor("Qwen3-Coder.jinja");
    const missing = parse(layer, "<function=read_file>\n<parameter=path>\nREADME.md\n</parameter>\n</function>\n</tool_call>", 2);
    assert.deepEqual(missing.calls, [{ name: "read_file", arguments: { path: "README.md" } }]);
  });

  test("an answer the parser reads as empty (whitespace alone) is the text itself, as llama-server answers", (t) => {
    if (!needsEngineBuild(t, engineBuild(llama))) return;
    const layer = layerFor("Qwen-Qwen2.5-7B-Instruct.jinja");
    const params = layer.apply(chatInputs(CONVERSATIONS.tools!, { effort: null, budget: null }));
    const events: EngineEvent[] = [];
    const queue = { push: (event: EngineEvent) => events.push(event) } as unknown as EventQueue<EngineEvent>;
    const turn = { hidden: new Set<never>(), stopStrings: [], formatStops: [], parser: layer.parser(params, true), maxCalls: null, thoughtTags: null, newCallId: () => "call_0" };
    const sink = new ParserSink(() => "\n", turn, queue);
    for (let token = 0; token < 3; token++) assert.equal(sink.token(token as never), null);
    assert.deepEqual(sink.end({ type: "length" }), { finish: { type: "length" }, reasoningTokens: 0 });
    assert.deepEqual(events, [{ type: "text", text: "\n\n\n" }]);
  });

  test("Qwen3: a thought tag where none belongs (pushed by logit_bias) is left out", (t) => {
    if (!needsEngineBuild(t, engineBuild(llama))) return;
    const layer = layerFor("Qwen-Qwen3-0.6B.jinja");
    const params = layer.apply(chatInputs(CONVERSATIONS.plain!, { effort: null, budget: null }));
    const pieces = ["<think>", "</think>", "Paris."];
    const run = (tokens: number[]) => {
      const events: EngineEvent[] = [];
      const queue = { push: (event: EngineEvent) => events.push(event) } as unknown as EventQueue<EngineEvent>;
      const turn = { hidden: new Set<never>(), stopStrings: [], formatStops: [], parser: layer.parser(params, false), maxCalls: null, thoughtTags: { start: 0 as never, ends: new Set([1 as never]), open: false }, newCallId: () => "call_0" };
      const sink = new ParserSink((ids) => ids.map((id) => pieces[id]!).join(""), turn, queue);
      for (const token of tokens) assert.equal(sink.token(token as never), null);
      sink.end({ type: "end" });
      return events;
    };
    const said = (events: EngineEvent[]) => events.map((event) => ("text" in event ? event.text : "")).join("");
    for (const events of [run([1, 1, 1, 1]), run([0, 0, 1, 2]), run([0, 1, 0, 1, 2])]) {
      assert.ok(!said(events).includes("think>"), JSON.stringify(events));
    }
    assert.deepEqual(run([0, 0, 1, 2]).filter((event) => event.type === "text"), [{ type: "text", text: "Paris." }]);
  });

  test("the request's chat_template_kwargs reach the template, over the server's defaults", (t) => {
    if (!needsEngineBuild(t, engineBuild(llama))) return;
    const layer = layerFor("openai-gpt-oss-120b.jinja");
    const render = (templateKwargs?: Record<string, unknown>) =>
      layer.apply(chatInputs({ ...CONVERSATIONS.plain!, ...(templateKwargs ? { templateKwargs } : {}) }, { effort: "low", budget: null })).prompt;
    assert.match(render(), /Reasoning: low/);
    assert.match(render({ reasoning_effort: "high" }), /Reasoning: high/);
    assert.match(render({ model_identity: "You are oserve's test model." }), /^<\|start\|>system<\|message\|>You are oserve's test model\./);
  });

  test("Mistral Small 3.2: a turn after tool calls renders, the clients' call ids made the template's 9 characters (llama-server refuses it)", async (t) => {
    if (!needsEngineBuild(t, engineBuild(llama))) return;
    const layer = layerFor("Mistral-Small-3.2-24B-Instruct-2506.jinja");
    const conversation = CONVERSATIONS["two calls in one turn"]!;
    assert.throws(() => layer.apply(chatInputs(conversation, { effort: null, budget: null })), /Tool call IDs should be alphanumeric strings with length 9/);
    const native = new NativeChat(lib, model, layer, []);
    const prompt = (await native.render(conversation, { effort: null, budget: null })).params.prompt;
    const ids = [...prompt.matchAll(/\[CALL_ID\]([^[]*)\[ARGS\]/g)].map((match) => match[1]);
    assert.equal(ids.length, 2, prompt);
    assert.ok(ids.every((id) => /^[A-Za-z0-9]{9}$/.test(id!)), JSON.stringify(ids));
  });

  test("the tools offered are rendered in the template's own words", (t) => {
    if (!needsEngineBuild(t, engineBuild(llama))) return;
    const prompt = layerFor("Qwen3-Coder.jinja").apply(chatInputs(CONVERSATIONS["call and result"]!, { effort: null, budget: null })).prompt;
    assert.match(prompt, /<function=bash>\n<parameter=command>\nls -la\n<\/parameter>\n<parameter=timeout>\n5\n<\/parameter>/);
    assert.ok(TOOLS.every((tool) => prompt.includes(`<name>${tool.name}</name>`)));
  });
});
