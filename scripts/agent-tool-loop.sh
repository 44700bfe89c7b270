#!/usr/bin/env bash
# One tool loop of each real coding agent through `oserve launch`, on a model that writes calls in
# its own family's syntax: Claude Code (`claude -p`, stream-json) and Codex CLI (`codex exec --json`)
# each asked one question; the script counts, from the agent's own event stream, the tool calls the
# model made, the tool results the agent sent back, and whether the turn ended with an answer.
# The agents get the test models' own tool, get_weather, from a small MCP server
# (scripts/agent-tools/weather-mcp.mjs). SMALL=1 gives Claude Code a one-line system prompt and no
# built-in tools (the tiny test models were trained at a 2048-token context; the agents' own prompts
# are 9-12k tokens).
# Usage (from the project root): scripts/agent-tool-loop.sh [MODEL] [PROMPT]
#   MODEL defaults to ../shared/models/oserve-tiny-coder.gguf (Qwen3-Coder's template and calls).
#   The agents come from the npm registry into a cache folder (OSERVE_AGENT_CLIENTS, as
#   scripts/agent-clients.sh), not package.json. Not part of npm test.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=$(realpath "${1:-../shared/models/oserve-tiny-coder.gguf}")
PROMPT=${2:-"What's the weather in Paris?"}
[[ -f $MODEL ]] || { echo "agent-tool-loop: no model at $MODEL" >&2; exit 2; }
source scripts/agent-tools/install-agents.sh
work=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] && echo "kept $work" || rm -rf "$work"' EXIT
mkdir -p "$work/cwd" "$work/codex-home"
launch=(node --import "$PWD/node_modules/tsx/dist/esm/index.mjs" "$PWD/src/cli.ts" launch)

# Counts one agent's events: calls the model made, results sent back, the last answer's text.
count() {
  node -e '
    const lines = require("node:fs").readFileSync(process.argv[1], "utf8").split("\n").filter((l) => l.startsWith("{"));
    let calls = 0, results = 0, answer = "";
    for (const line of lines) {
      let e; try { e = JSON.parse(line); } catch { continue; }
      // Claude Code stream-json: assistant and user messages with content blocks.
      for (const block of e.message?.content ?? []) {
        if (block.type === "tool_use") calls++;
        if (block.type === "tool_result") results++;
        if (e.type === "assistant" && block.type === "text") answer = block.text;
      }
      if (e.type === "result") answer = e.result ?? answer;
      // Codex exec --json: items started and completed.
      if (e.type === "item.completed" && e.item) {
        if (["command_execution", "mcp_tool_call", "function_call", "web_search", "file_change"].includes(e.item.type)) (calls++, results++);
        if (e.item.type === "agent_message") answer = e.item.text ?? answer;
      }
    }
    console.log(`${calls} tool call(s), ${results} result(s) sent back; last answer: ${JSON.stringify(answer.slice(0, 160))}`);
  ' "$1"
}

status=0
one() {
  local name=$1; shift
  local started=$SECONDS
  if (cd "$work/cwd" && timeout 600 env "$@" </dev/null >"$work/$name.jsonl" 2>"$work/$name.err"); then
    echo "$name: exit 0 after $((SECONDS - started)) s; $(count "$work/$name.jsonl")"
  else
    echo "$name: FAILED (exit $?) after $((SECONDS - started)) s; $(count "$work/$name.jsonl")"; tail -n 15 "$work/$name.err"; status=1
  fi
  grep -h "^oserve: $name\|failed" "$work/$name.err" | head -5 || true
}
mcp=$PWD/scripts/agent-tools/weather-mcp.mjs
printf '{"mcpServers":{"weather":{"command":"node","args":["%s"]}}}' "$mcp" >"$work/mcp.json"
small=()
if [[ ${SMALL:-} == 1 ]]; then small=(--system-prompt "You are a helpful assistant." --exclude-dynamic-system-prompt-sections --tools ""); fi
one claude ENABLE_TOOL_SEARCH=false OSERVE_CLAUDE_BIN="$CACHE/node_modules/.bin/claude" "${launch[@]}" claude --model "$MODEL" --parallel 1 --temp "${TEMP:-0.8}" -- \
  -p "$PROMPT" --output-format stream-json --verbose --max-turns 4 "${small[@]}" \
  --mcp-config "$work/mcp.json" --strict-mcp-config --allowedTools mcp__weather__get_weather
[[ ${ONLY:-} == claude ]] || one codex OSERVE_CODEX_BIN="$CACHE/node_modules/.bin/codex" CODEX_HOME="$work/codex-home" "${launch[@]}" codex --model "$MODEL" --parallel 1 --temp "${TEMP:-0.8}" -- \
  -c "mcp_servers.weather.command=\"node\"" -c "mcp_servers.weather.args=[\"$mcp\"]" \
  exec --json --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox "$PROMPT"
exit $status
