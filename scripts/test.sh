#!/usr/bin/env bash
# npm test: the type check beside the unit tests (two processes for the two cores: neither starts a
# server), then the files that start servers or load models, one at a time (they share the cores).
# Each phase ends with the seconds each of its files took (test/reporters/file-times.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
run=(node --import tsx --test --test-concurrency=1 --test-timeout=180000
  --test-reporter=spec --test-reporter-destination=stdout
  --test-reporter=./test/reporters/file-times.mjs --test-reporter-destination=stdout)
# Files that load a model: the e2e folder and the engine tests that load one themselves.
heavy=(test/e2e/*.test.ts $(grep -l "getLlama\|loadLlamaEngine" test/*/*.test.ts test/*.test.ts | grep -v "^test/e2e/"))
unit=()
for file in test/*.test.ts test/*/*.test.ts; do
  [[ " ${heavy[*]} " == *" $file "* ]] || unit+=("$file")
done
npx tsc --noEmit -p . &
typecheck=$!
"${run[@]}" "${unit[@]}"
wait "$typecheck"
"${run[@]}" "${heavy[@]}"
