// Local by default (http/local-only.ts): which Host and Origin headers a keyless server answers.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isAllowedOrigin, isLocalHost } from "../../src/http/local-only.ts";

describe("isLocalHost", { timeout: 10_000 }, () => {
  test("this machine's names and any address pass; another name only where --allowed-hosts names it", () => {
    for (const host of ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "::1", "192.168.1.5:8080", "app.localhost:3000", "box.local", "devbox", "devbox:8080", undefined]) {
      assert.ok(isLocalHost(host, [], "devbox"), String(host));
    }
    for (const host of ["evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io"]) assert.ok(!isLocalHost(host, [], "devbox"), host);
    assert.ok(isLocalHost("llm.example.com:443", ["llm.example.com"], "devbox"));
    assert.ok(isLocalHost("anything.example", ["*"], "devbox"));
  });
});

describe("isAllowedOrigin", { timeout: 10_000 }, () => {
  test("no Origin (curl, SDKs) and pages of this machine pass; another site, a sandboxed frame, only where --cors allows it", () => {
    for (const origin of [undefined, "http://localhost:5173", "http://127.0.0.1:8080", "https://app.localhost", "http://[::1]:3000"]) assert.ok(isAllowedOrigin(origin, []), String(origin));
    for (const origin of ["https://evil.example", "null", "http://localhost.evil.example", "chrome-extension://abc"]) assert.ok(!isAllowedOrigin(origin, []), origin);
    assert.ok(isAllowedOrigin("https://app.example", ["https://app.example"]));
    assert.ok(isAllowedOrigin("https://evil.example", ["*"]));
  });
});
