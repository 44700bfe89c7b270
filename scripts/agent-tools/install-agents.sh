# Sourced by scripts/agent-clients.sh and scripts/agent-tool-loop.sh: the real coding agents, at the
# versions the project measures against, installed from the npm registry into a cache folder (large
# installs, so not in package.json). Sets CACHE (OSERVE_AGENT_CLIENTS, default
# ${TMPDIR:-/tmp}/oserve-agent-clients); the binaries are $CACHE/node_modules/.bin/{codex,claude}.
CODEX_VERSION=0.171.0
CLAUDE_VERSION=2.1.332
CACHE=${OSERVE_AGENT_CLIENTS:-${TMPDIR:-/tmp}/oserve-agent-clients}
mkdir -p "$CACHE"
if [[ ! -x $CACHE/node_modules/.bin/codex || ! -x $CACHE/node_modules/.bin/claude ]]; then
  echo "installing @openai/codex@$CODEX_VERSION and @anthropic-ai/claude-code@$CLAUDE_VERSION into $CACHE" >&2
  npm install --prefix "$CACHE" --no-audit --no-fund --loglevel error "@openai/codex@$CODEX_VERSION" "@anthropic-ai/claude-code@$CLAUDE_VERSION" >&2
fi
