#!/usr/bin/env bash
# npm test: the type check beside the unit tests (two processes for the two cores: neither starts a
# server), then the files that start servers or load models, one at a time (they share the cores).
# Which phase a file runs in is where it lives: every test that starts a server or loads a model is
# under test/e2e/ (test/e2e/engine/ for the engine's own), every other test file is a unit test.
# Each phase ends with the seconds each of its files took (test/reporters/file-times.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
run=(node --import tsx --test --test-concurrency=1 --test-timeout=180000
  --test-reporter=spec --test-reporter-destination=stdout
  --test-reporter=./test/reporters/file-times.mjs --test-reporter-destination=stdout)
mapfile -t unit < <(find test -name '*.test.ts' -not -path 'test/e2e/*' | sort)
mapfile -t e2e < <(find test/e2e -name '*.test.ts' | sort)
npx tsc --noEmit -p . &
typecheck=$!
"${run[@]}" "${unit[@]}"
wait "$typecheck"
"${run[@]}" "${e2e[@]}"
