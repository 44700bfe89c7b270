import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseFlags, splitAtDashes } from "../../src/cli/args.ts";
import { ConfigError } from "../../src/config/errors.ts";

describe("the command line", () => {
  test("what follows -- is the child's, -h and --version included", () => {
    assert.deepEqual(splitAtDashes(["--model", "m", "--", "node", "-v", "--", "--help"]), { own: ["--model", "m"], child: ["node", "-v", "--", "--help"] });
    assert.deepEqual(splitAtDashes(["--model", "m"]), { own: ["--model", "m"], child: [] });
  });

  test("each flag takes its value, as --name value or --name=value; --model every time it is given", () => {
    const { flags } = parseFlags(["--model", "a=/m/a.gguf", "--port=0", "--model=b=/m/b.gguf", "--api-key", "k"]);
    assert.deepEqual(flags, { port: "0", "api-key": "k", model: "b=/m/b.gguf", models: ["a=/m/a.gguf", "b=/m/b.gguf"] });
  });

  test("a command's extra flags and positionals are its own; strays and unknown flags are one clear error", () => {
    const parsed = parseFlags(["claude", "--url", "http://x", "--api-key-file", "/k"], { extra: { url: "…" }, maxPositionals: 1 });
    assert.deepEqual(parsed, { flags: { "api-key-file": "/k" }, extra: { url: "http://x" }, positionals: ["claude"] });
    assert.throws(() => parseFlags(["m.gguf"]), (error: Error) => error instanceof ConfigError && /unexpected argument 'm.gguf'/.test(error.message));
    assert.throws(() => parseFlags(["--turbo", "1"]), /unknown flag '--turbo'/);
    assert.throws(() => parseFlags(["--url", "x"]), /unknown flag '--url'/, "launch's flag is not the server's");
    assert.throws(() => parseFlags(["--port"]), /--port needs a value/);
  });
});
