#!/usr/bin/env bash
# Runs one non-interactive turn of each real coding agent against oserve: Codex CLI (`codex exec`,
# Responses API) and Claude Code (`claude -p`, Messages API). They are large installs, so they live
# in a cache folder, not in package.json.
# Usage (from the project root): scripts/agent-clients.sh [MODEL] [CTX_SIZE]
#   MODEL defaults to ../shared/models/oserve-tiny-chat.gguf: a model that ends its turns; a
#   random-weight one writes until the context is full. CTX_SIZE (default 16384) must hold the
#   agents' own prompts (about 9k tokens for Codex, 12k for Claude Code).
#   OSERVE_AGENT_CLIENTS sets the cache folder (default ${TMPDIR:-/tmp}/oserve-agent-clients).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=$(realpath "${1:-../shared/models/oserve-tiny-chat.gguf}")
CTX=${2:-16384}
CODEX_VERSION=0.171.0
CLAUDE_VERSION=2.1.332
CACHE=${OSERVE_AGENT_CLIENTS:-${TMPDIR:-/tmp}/oserve-agent-clients}
[[ -f $MODEL ]] || { echo "agent-clients: no model at $MODEL" >&2; exit 2; }

mkdir -p "$CACHE"
if [[ ! -x $CACHE/node_modules/.bin/codex || ! -x $CACHE/node_modules/.bin/claude ]]; then
  echo "installing @openai/codex@$CODEX_VERSION and @anthropic-ai/claude-code@$CLAUDE_VERSION into $CACHE" >&2
  npm install --prefix "$CACHE" --no-audit --no-fund --loglevel error "@openai/codex@$CODEX_VERSION" "@anthropic-ai/claude-code@$CLAUDE_VERSION" >&2
fi

work=$(mktemp -d)
log=$work/oserve.log
server=""
cleanup() {
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
run codex env CODEX_HOME="$work/codex-home" "$CACHE/node_modules/.bin/codex" exec --skip-git-repo-check "Say hello"
run claude env ANTHROPIC_BASE_URL="$url" ANTHROPIC_API_KEY=unused "$CACHE/node_modules/.bin/claude" -p "Say hello" --model "$model"
if grep -q "failed" "$log"; then echo "oserve logged failures:"; grep "failed" "$log"; status=1; fi
exit $status
