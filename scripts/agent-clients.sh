#!/usr/bin/env bash
# Runs two non-interactive turns of each real coding agent against oserve: Codex CLI (`codex exec`,
# then `codex exec resume --last`; Responses API) and Claude Code (`claude -p`, then `claude -p
# --continue`; Messages API). Their requests pass through a small recording proxy, so that the
# script can say whether the second turn sent the first turn's thought back (a thinking model's
# `reasoning` item with `encrypted_content`, a `thinking` block with a `signature`). They are large
# installs, so they live in a cache folder, not in package.json.
# Usage (from the project root): scripts/agent-clients.sh [MODEL] [CTX_SIZE]
#   MODEL defaults to ../shared/models/oserve-tiny-chat.gguf: a model that ends its turns; a
#   random-weight one writes until the context is full. CTX_SIZE (default 16384) must hold the
#   agents' own prompts (about 9k tokens for Codex, 12k for Claude Code).
#   OSERVE_AGENT_CLIENTS sets the cache folder (default ${TMPDIR:-/tmp}/oserve-agent-clients).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=$(realpath "${1:-../shared/models/oserve-tiny-chat.gguf}")
CTX=${2:-16384}
[[ -f $MODEL ]] || { echo "agent-clients: no model at $MODEL" >&2; exit 2; }
source scripts/agent-tools/install-agents.sh

work=$(mktemp -d)
log=$work/oserve.log
server=""
proxy=""
cleanup() {
  if [[ -n $proxy ]]; then kill "$proxy" 2>/dev/null || true; fi
  if [[ -n $server ]]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
node --import tsx src/cli.ts --model "$MODEL" --ctx-size "$CTX" --parallel 1 --port 0 >"$log" 2>&1 &
server=$!
for _ in $(seq 1 600); do grep -q '^oserve listening on' "$log" && break; sleep 0.1; done
url=$(sed -n 's/^oserve listening on \([^ ]*\).*/\1/p' "$log")
[[ -n $url ]] || { echo "agent-clients: oserve did not start:" >&2; cat "$log" >&2; exit 1; }
model=$(basename "$MODEL" .gguf)
echo "oserve at $url ($model, --ctx-size $CTX)"

# The recording proxy: every request body, one JSON line each, then passed on unchanged.
node -e '
  const http = require("node:http"); const fs = require("node:fs");
  const [target, file] = process.argv.slice(1);
  http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c)).on("end", () => {
      const body = Buffer.concat(chunks);
      if (body.length > 0) fs.appendFileSync(file, JSON.stringify({ path: req.url, body: body.toString() }) + "\n");
      const headers = { ...req.headers, host: new URL(target).host };
      const up = http.request(target + req.url, { method: req.method, headers }, (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
      up.on("error", (e) => { res.writeHead(502); res.end(String(e)); });
      up.end(body);
    });
  }).listen(0, "127.0.0.1", function () { console.log("http://127.0.0.1:" + this.address().port); });
' "$url" "$work/requests.jsonl" >"$work/proxy.url" &
proxy=$!
for _ in $(seq 1 100); do [[ -s $work/proxy.url ]] && break; sleep 0.1; done
url=$(cat "$work/proxy.url")

mkdir -p "$work/codex-home" "$work/cwd"
cat >"$work/codex-home/config.toml" <<TOML
model = "$model"
model_provider = "oserve"
[model_providers.oserve]
name = "oserve"
base_url = "$url/v1"
wire_api = "responses"
TOML

status=0
run() {
  local name=$1; shift
  local started=$SECONDS
  if (cd "$work/cwd" && timeout 300 "$@" </dev/null >"$work/$name.out" 2>&1); then
    echo "$name: completed a turn in $((SECONDS - started)) s; its answer ends with: $(tail -c 120 "$work/$name.out" | tr '\n' ' ')"
  else
    echo "$name: FAILED (exit $?) after $((SECONDS - started)) s:"; tail -n 20 "$work/$name.out"; status=1
  fi
}
# How many of the recorded requests since line $1 send a thought back, of those to path $2.
thoughts_sent_back() {
  tail -n +"$1" "$work/requests.jsonl" | node -e '
    const lines = require("node:fs").readFileSync(0, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const path = process.argv[1];
    const mine = lines.filter((l) => l.path.startsWith(path)).map((l) => JSON.parse(l.body));
    const back = mine.filter((b) => path.includes("responses")
      ? (b.input ?? []).some?.((i) => i.type === "reasoning" && i.encrypted_content)
      : (b.messages ?? []).some((m) => m.role === "assistant" && Array.isArray(m.content) && m.content.some((c) => c.type === "thinking" && c.signature)));
    console.log(back.length + " of " + mine.length);
  ' "$2"
}
codex=(env CODEX_HOME="$work/codex-home" "$CACHE/node_modules/.bin/codex" exec --skip-git-repo-check)
claude=(env ANTHROPIC_BASE_URL="$url" ANTHROPIC_API_KEY=unused CLAUDE_CODE_MAX_OUTPUT_TOKENS="${CLAUDE_CODE_MAX_OUTPUT_TOKENS:-512}" "$CACHE/node_modules/.bin/claude" -p --model "$model")
run codex "${codex[@]}" "Say hello"
mark=$(($(wc -l <"$work/requests.jsonl" 2>/dev/null || echo 0) + 1))
run codex-turn-2 "${codex[@]}" resume --last "What is the capital of France?"
echo "codex-turn-2: requests sending a thought back: $(thoughts_sent_back "$mark" /v1/responses)"
run claude "${claude[@]}" "Say hello"
mark=$(($(wc -l <"$work/requests.jsonl") + 1))
run claude-turn-2 "${claude[@]}" --continue "What is the capital of France?"
echo "claude-turn-2: requests sending a thought back: $(thoughts_sent_back "$mark" /v1/messages)"
if grep -q "failed" "$log"; then echo "oserve logged failures:"; grep "failed" "$log"; status=1; fi
exit $status
