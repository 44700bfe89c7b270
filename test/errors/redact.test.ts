// An error's text as a client may read it (request/redact.ts).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { redactForClient } from "../../src/errors/redact.ts";

describe("redactForClient", { timeout: 10_000 }, () => {
  test("paths become their file name, URLs their origin; the reason stays", () => {
    assert.equal(
      redactForClient("The model 'broken' could not be loaded: failed to load model from /home/alice/models/secret-project.gguf (llama.cpp: failed to read key-value pairs)"),
      "The model 'broken' could not be loaded: failed to load model from …/secret-project.gguf (llama.cpp: failed to read key-value pairs)",
    );
    assert.equal(redactForClient("could not download https://huggingface.co/x/y/resolve/main/m.gguf?token=hf_SECRET: 401"), "could not download https://huggingface.co/…: 401");
    assert.equal(redactForClient("C:\\Users\\bob\\m.gguf: no such file"), "…/m.gguf: no such file");
    assert.equal(redactForClient("plain words, a ratio 3/4 and a/b"), "plain words, a ratio 3/4 and a/b");
  });
});
