// Prompts kept beyond the sequences (--cache-ram, --cache-dir): a main conversation and a subagent
// alternating on one sequence each pay prefill only once; a restart with --cache-dir resumes a
// conversation without its prefill. Counted in the usage's cached tokens, as a client reads them.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { metric, startServer, TINY_CHAT, type TestServer } from "../helpers/test-server.ts";

/** A long system prompt of its own for each "agent" (some 1,500 tokens), as a coding agent's is. */
const system = (who: string) => Array.from({ length: 150 }, (_, i) => `${who} rule ${i}: keep the answer short and name the file you change.`).join("\n");
const MAIN = system("main");
const SUBAGENT = system("subagent");

interface Answer {
  text: string;
  promptTokens: number;
  cachedTokens: number;
}

async function ask(server: TestServer, prompt: string, question: string): Promise<Answer> {
  const response = await fetch(`${server.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "system", content: prompt }, { role: "user", content: question }], max_tokens: 8, temperature: 0 }),
  });
  const body = (await response.json()) as { choices: Array<{ message: { content: string } }>; usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens?: number } } };
  assert.equal(response.status, 200, JSON.stringify(body));
  return { text: body.choices[0]!.message.content, promptTokens: body.usage.prompt_tokens, cachedTokens: body.usage.prompt_tokens_details?.cached_tokens ?? 0 };
}

/** Main, subagent, main, subagent, main: each visit after the first asks a new question. */
async function alternate(server: TestServer): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let turn = 0; turn < 5; turn++) answers.push(await ask(server, turn % 2 === 0 ? MAIN : SUBAGENT, `Question ${turn}: what next?`));
  return answers;
}

describe("prompts kept beyond the sequences", { timeout: 180_000 }, () => {
  test("a main conversation and a subagent alternating on one sequence pay their prefill once each; without the cache, every time", async () => {
    const cached = await startServer(["--model", TINY_CHAT, "--parallel", "1", "--ctx-size", "4096"]);
    const plain = await startServer(["--model", TINY_CHAT, "--parallel", "1", "--ctx-size", "4096", "--cache-ram", "0"]);
    try {
      const withCache = await alternate(cached);
      const without = await alternate(plain);
      const prompt = withCache[2]!.promptTokens;
      assert.ok(prompt > 1000, `a long prompt: ${prompt} tokens`);
      // The third and later visits find their own prompt kept: all but the new question is reused.
      for (const answer of withCache.slice(2)) assert.ok(answer.cachedTokens > answer.promptTokens - 40, JSON.stringify(withCache));
      // Without it, the sequence holds the other agent's prompt: only the template's first tokens match.
      for (const answer of without.slice(2)) assert.ok(answer.cachedTokens < 40, JSON.stringify(without));
      // The state loaded back is the state evaluated: the same answers, token for token.
      assert.deepEqual(withCache.map((answer) => answer.text), without.map((answer) => answer.text));
      assert.ok((await metric(cached, "oserve_prompt_cache_restores")) >= 3);
      assert.ok((await metric(cached, "oserve_prompt_cache_entries")) >= 1);
    } finally {
      await Promise.all([cached.stop(), plain.stop()]);
    }
  });

  test("--cache-dir: the sequences' prompts are kept at shutdown, and a resumed conversation after a restart pays only its new tokens", async () => {
    const dir = mkdtempSync(join(tmpdir(), "oserve-cache-dir-"));
    const flags = ["--model", TINY_CHAT, "--parallel", "1", "--ctx-size", "4096", "--cache-dir", dir];
    const first = await startServer(flags);
    const before = await ask(first, MAIN, "Question 0: what next?");
    assert.equal(await first.stop(), 0);
    assert.ok(readdirSync(dir).length > 0, "a folder for the model");
    const second = await startServer(flags);
    try {
      const resumed = await ask(second, MAIN, "Question 0: what next?");
      assert.ok(resumed.cachedTokens > resumed.promptTokens - 40, JSON.stringify({ before, resumed }));
      assert.equal(resumed.text, before.text);
    } finally {
      await second.stop();
    }
  });
});
