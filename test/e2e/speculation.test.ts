// Speculative decoding by prompt lookup (--spec-type ngram): tokens drafted from the prompt are
// verified in the same decode as the next token, and only those the model would have written are
// kept. So the answers are the plain decoding's, token for token at temperature 0 (chat, a stream, a
// tool call; raw completions never draft), also where drafts were left unused in the sequence and
// its prompt was kept and loaded back by the prompt cache; the drafts show in the access line and
// /metrics, and the usage counts what the model wrote, not what it verified.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { metric, RANDOM, startServer, TINY_CHAT, type TestServer } from "../helpers/test-server.ts";
import { GET_WEATHER } from "../helpers/tiny-chat-tools.ts";

/** A long prompt (over 512 tokens, so a sequence given to another prompt keeps it). */
const QUESTION = `Once upon a time${" time".repeat(20)}${"去".repeat(1200)}`;
/** Another, to alternate with. */
const OTHER = `${"The quick brown fox jumps over the lazy dog. ".repeat(60)}去去去`;

interface Completion {
  text: string;
  completionTokens: number;
}

/** A chat turn (the path agents' requests take), non-streamed. */
/** A chat turn (the path agents' requests take), non-streamed. */
async function complete(server: TestServer, messages: Message[], maxTokens = 256): Promise<Completion> {
  const response = await fetch(`${server.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages, max_tokens: maxTokens, temperature: 0 }),
  });
  const body = (await response.json()) as { choices: Array<{ message: { content: string } }>; usage: { completion_tokens: number } };
  assert.equal(response.status, 200, JSON.stringify(body));
  return { text: body.choices[0]!.message.content, completionTokens: body.usage.completion_tokens };
}

type Message = { role: "user" | "assistant"; content: string };

/**
 * The question asked again after the model's own answer to it: the random model's greedy answer
 * falls into repeating one word, which the prompt now holds a run of, so drafts are made, most kept
 * (an answer that repeats its prompt, as an edit's does).
 */
async function askedAgain(plain: TestServer, question: string): Promise<Message[]> {
  const answer = await complete(plain, [{ role: "user", content: question }]);
  return [{ role: "user", content: question }, { role: "assistant", content: answer.text }, { role: "user", content: question }];
}

describe("speculative decoding by prompt lookup (--spec-type ngram)", { timeout: 180_000 }, () => {
  let plain: TestServer;
  let speculative: TestServer;
  before(async () => {
    const flags = ["--model", RANDOM, "--parallel", "1", "--ctx-size", "4096"];
    plain = await startServer([...flags, "--spec-type", "none"]);
    speculative = await startServer([...flags, "--spec-type", "ngram"]);
  });
  after(async () => {
    await Promise.all([plain?.stop(), speculative?.stop()]);
  });

  test("the same text and token count as plain decoding, with drafts verified and most kept", async () => {
    const messages = await askedAgain(plain, QUESTION);
    const want = await complete(plain, messages);
    const got = await complete(speculative, messages);
    assert.equal(got.text, want.text);
    assert.equal(got.completionTokens, want.completionTokens, "the usage counts the tokens written, not those verified");
    const drafted = await metric(speculative, "oserve_draft_tokens_total");
    const accepted = await metric(speculative, "oserve_draft_accepted_tokens_total");
    assert.ok(drafted > 0 && accepted > drafted / 2, `drafted ${drafted}, accepted ${accepted}`);
    assert.match(speculative.stderr(), /POST \/v1\/chat\/completions 200 .* draft_tokens=\d+ draft_accepted=\d+/);
    assert.equal(await metric(plain, "oserve_draft_tokens_total"), 0, "no drafts with --spec-type none");
  });

  test("prompts alternating on one sequence, kept and loaded back by the prompt cache after drafts were left in it: the same answers", async () => {
    const again = await askedAgain(plain, QUESTION);
    const run = async (server: TestServer) => {
      const answers: string[] = [];
      // 100 tokens: the answer ends while drafts are still loaded in the sequence.
      for (const messages of [again, [{ role: "user", content: OTHER }], again, [{ role: "user", content: OTHER }]] as Message[][]) answers.push((await complete(server, messages, 100)).text);
      return answers;
    };
    assert.deepEqual(await run(speculative), await run(plain));
    assert.ok((await metric(speculative, "oserve_prompt_cache_restores")) >= 2, "the prompts were loaded back");
  });

  test("a chat stream: the same text as plain decoding", async () => {
    const messages = await askedAgain(plain, OTHER);
    const stream = async (server: TestServer) => {
      const client = new OpenAI({ baseURL: server.baseURL, apiKey: "none" });
      const chunks = await client.chat.completions.create({ model: "any", messages, max_tokens: 128, temperature: 0, stream: true });
      let text = "";
      for await (const chunk of chunks) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    };
    assert.equal(await stream(speculative), await stream(plain));
  });
});

describe("speculative decoding on a trained model", { timeout: 120_000 }, () => {
  test("an answer and a tool call, each the same as without drafts", async () => {
    const flags = ["--model", TINY_CHAT, "--parallel", "1"];
    const [plain, speculative] = [await startServer([...flags, "--spec-type", "none"]), await startServer([...flags, "--spec-type", "ngram"])];
    try {
      const ask = async (server: TestServer, content: string) => {
        const client = new OpenAI({ baseURL: server.baseURL, apiKey: "none" });
        const { choices } = await client.chat.completions.create({ model: "any", messages: [{ role: "user", content }], tools: [GET_WEATHER], temperature: 0 });
        return choices[0]!.message;
      };
      for (const question of ["What is the capital of France?", "What's the weather in Paris?"]) {
        const want = await ask(plain, question);
        const got = await ask(speculative, question);
        const calls = (message: typeof got) => message.tool_calls?.map((call) => (call.type === "function" ? call.function : call));
        assert.deepEqual({ content: got.content, calls: calls(got) }, { content: want.content, calls: calls(want) });
      }
      assert.equal((await ask(speculative, "What is the capital of France?")).content, "The capital of France is Paris.");
    } finally {
      await Promise.all([plain.stop(), speculative.stop()]);
    }
  });
});

describe("a draft model (--model-draft)", { timeout: 120_000 }, () => {
  test("drafts every token, and the answers and tool calls are the plain decoding's", async () => {
    const flags = ["--model", TINY_CHAT, "--parallel", "2"];
    // The model drafting for itself: what it drafts is what it writes, so the drafts are kept.
    const [plain, drafted] = [await startServer([...flags, "--spec-type", "none"]), await startServer([...flags, "--model-draft", TINY_CHAT])];
    try {
      const ask = async (server: TestServer, content: string) => {
        const client = new OpenAI({ baseURL: server.baseURL, apiKey: "none" });
        const { choices } = await client.chat.completions.create({ model: "any", messages: [{ role: "user", content }], tools: [GET_WEATHER], temperature: 0 });
        return choices[0]!.message;
      };
      const calls = (message: Awaited<ReturnType<typeof ask>>) => message.tool_calls?.map((call) => (call.type === "function" ? call.function : call));
      for (const question of ["What is the capital of France?", "Hello", "What's the weather in Paris?"]) {
        const want = await ask(plain, question);
        const got = await ask(drafted, question);
        assert.deepEqual({ content: got.content, calls: calls(got) }, { content: want.content, calls: calls(want) });
      }
      const draftedTokens = await metric(drafted, "oserve_draft_tokens_total");
      const accepted = await metric(drafted, "oserve_draft_accepted_tokens_total");
      assert.ok(accepted > 0 && accepted > draftedTokens / 2, `drafted ${draftedTokens}, accepted ${accepted}`);
    } finally {
      await Promise.all([plain.stop(), drafted.stop()]);
    }
  });
});
