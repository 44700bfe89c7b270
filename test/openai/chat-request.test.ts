import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertRejects } from "../helpers/assert-rejects.ts";
import { parseChatRequest } from "../../src/openai/chat-request.ts";

const user = { role: "user", content: "Hello" };

const rejects = (body: unknown, param: string | null, message?: RegExp) => assertRejects(parseChatRequest, body, param, message);

describe("parseChatRequest", () => {
  test("a minimal request gets OpenAI's semantics", () => {
    const request = parseChatRequest({ model: "x", messages: [user] });
    assert.equal(request.stream, false);
    assert.equal(request.includeUsage, false);
    assert.equal(request.generation.maxTokens, null);
    assert.deepEqual(request.generation.messages, [{ role: "user", content: "Hello" }]);
    assert.deepEqual(request.generation.stop, []);
  });

  test("max_completion_tokens wins over max_tokens; stop takes a string or a list", () => {
    const request = parseChatRequest({ messages: [user], max_tokens: 5, max_completion_tokens: 7, stop: "\n" });
    assert.equal(request.generation.maxTokens, 7);
    assert.deepEqual(request.generation.stop, ["\n"]);
    assert.deepEqual(parseChatRequest({ messages: [user], stop: ["a", "b"] }).generation.stop, ["a", "b"]);
  });

  test("text parts are joined; developer is a system message", () => {
    const request = parseChatRequest({
      messages: [{ role: "developer", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }, user],
    });
    assert.deepEqual(request.generation.messages[0], { role: "system", content: "a\nb" });
  });

  test("images, audio and files become placeholders the model reads, counted for the header", () => {
    const request = parseChatRequest({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Compare these." },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
            { type: "image_url", image_url: { url: "https://example.com/a.png" } },
            { type: "input_audio", input_audio: { data: "x", format: "wav" } },
            { type: "file", file: { file_data: "x", filename: "a.pdf" } },
          ],
        },
      ],
    });
    const omitted = "[image omitted: this model reads text only]";
    assert.equal(
      request.generation.messages[0]!.content,
      `Compare these.\n${omitted}\n${omitted}\n[audio omitted: this model reads text only]\n[document omitted: this model reads text only]`,
    );
    assert.equal(request.omitted.toString(), "image=2, audio=1, document=1");
    assert.equal(parseChatRequest({ messages: [user] }).omitted.size, 0);
  });

  test("unknown fields are ignored, as OpenAI's clients send many", () => {
    const request = parseChatRequest({ messages: [user], logit_bias: {}, metadata: { a: 1 }, user: "u", store: false });
    assert.deepEqual(request.generation.messages, [{ role: "user", content: "Hello" }]);
    assert.deepEqual(request.generation.sampling.logitBias, []);
  });

  test("include_usage only counts for streams", () => {
    assert.equal(parseChatRequest({ messages: [user], stream: true, stream_options: { include_usage: true } }).includeUsage, true);
    assert.equal(parseChatRequest({ messages: [user], stream_options: { include_usage: true } }).includeUsage, false);
  });

  test("bad requests name the param", () => {
    rejects({}, "messages");
    rejects({ messages: [] }, "messages");
    rejects({ messages: [{ role: "wizard", content: "x" }] }, "messages[0].role");
    rejects({ messages: [{ role: "user", content: 3 }] }, "messages[0].content", /expected string or array/);
    rejects({ messages: [user], temperature: "hot" }, "temperature");
    rejects({ messages: [user], temperature: 3 }, "temperature");
    rejects({ messages: [user], max_tokens: 0 }, "max_tokens");
    rejects({ messages: [user], max_tokens: 1.5 }, "max_tokens");
    rejects({ messages: [user], n: 2 }, "n");
    rejects({ messages: [user], stream: "yes" }, "stream");
    rejects({ messages: [user], stop: [1] }, "stop");
    rejects({ messages: [{ role: "user", content: [{ type: "video_url", video_url: { url: "x" } }] }] }, "messages[0].content[0].type", /text only/);
    rejects([1, 2], null);
  });

  test("tool messages must answer the tool calls before them", () => {
    const call = { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } };
    const assistant = { role: "assistant", content: null, tool_calls: [call] };
    const tool = { role: "tool", tool_call_id: "call_1", content: '{"temperature": 12}' };
    const request = parseChatRequest({ messages: [user, assistant, tool] });
    assert.deepEqual(request.generation.messages[1], { role: "assistant", content: null, toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' }] });
    rejects({ messages: [user, assistant] }, "messages", /call_1/);
    rejects({ messages: [user, assistant, user] }, "messages", /call_1/);
    rejects({ messages: [user, { ...tool, tool_call_id: "call_9" }] }, "messages[1].tool_call_id");
  });

  test("reasoning: reasoning_effort (xhigh is high), enable_thinking false is none, and a thought in the history is read back", () => {
    assert.deepEqual(parseChatRequest({ messages: [user], reasoning_effort: "minimal" }).generation.reasoning, { effort: "minimal", budget: null });
    assert.deepEqual(parseChatRequest({ messages: [user], reasoning_effort: "xhigh" }).generation.reasoning, { effort: "high", budget: null });
    assert.deepEqual(parseChatRequest({ messages: [user], chat_template_kwargs: { enable_thinking: false } }).generation.reasoning, { effort: "none", budget: null });
    assert.deepEqual(parseChatRequest({ messages: [user] }).generation.reasoning, { effort: null, budget: null });
    const request = parseChatRequest({ messages: [user, { role: "assistant", content: "Hi!", reasoning_content: "They greet me." }, user] });
    assert.deepEqual(request.generation.messages[1], { role: "assistant", content: "Hi!", toolCalls: [], reasoning: "They greet me." });
    rejects({ messages: [user], reasoning_effort: "max" }, "reasoning_effort");
  });
});
