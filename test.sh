#!/usr/bin/env bash
# The project's test command (README "Testing"; CI runs it through .ci/run).
#   1. installs and starts the local services (PostgreSQL 15 + pgvector, RabbitMQ) via deploy/local/services.sh
#   2. installs the npm tools of deploy/lint once (the deployment tests lint and render with them), and promtool
#   3. builds the whole solution with warnings as errors
#   4. runs every test project and prints one final line: "N passed, N failed"
# Exits non-zero on a build error or any failed test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

configuration=${SISOM_TEST_CONFIGURATION:-Release}
results=TestResults
rm -rf "$results"
mkdir -p .local

summary() { echo "$1 passed, $2 failed"; }

echo "== services" >&2
deploy/local/services.sh up > .local/services.env
# shellcheck disable=SC2046 # the lines are NAME=VALUE without spaces; values hold ';'
export $(cat .local/services.env)
deploy/local/services.sh status >&2

echo "== deploy tools (deploy/lint: dockerfilelint, kubernetes-models, helm)" >&2
# npm ci only when node_modules is missing or older than the lock file, so a second run needs no network.
lint=deploy/lint
if [ ! -f "$lint/node_modules/.package-lock.json" ] || [ "$lint/package-lock.json" -nt "$lint/node_modules/.package-lock.json" ]; then
  (cd "$lint" && npm ci --no-audit --no-fund --loglevel=error) >&2 || echo "npm ci in $lint failed: SisomCluster.Deploy.Tests will say so" >&2
fi

echo "== promtool (the alert rules' unit tests, deploy/prometheus)" >&2
# Only the promtool binary of Debian's prometheus package, unpacked into .local/tools: installing the package would
# also enable and start a Prometheus daemon.
if ! command -v promtool >/dev/null 2>&1; then
  if [ ! -x .local/tools/promtool ]; then
    tmp=$(mktemp -d)
    if (cd "$tmp" && { apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download prometheus >/dev/null 2>&1; }; } \
        && dpkg-deb --fsys-tarfile prometheus_*.deb | tar -xO ./usr/bin/promtool >promtool && chmod +x promtool); then
      mkdir -p .local/tools && mv "$tmp/promtool" .local/tools/promtool
    else
      echo "promtool could not be downloaded: SisomCluster.Deploy.Tests will say so" >&2
    fi
    rm -rf "$tmp"
  fi
  export PATH="$PWD/.local/tools:$PATH"
fi

echo "== build ($configuration)" >&2
if ! dotnet build SisomCluster.sln -c "$configuration" -warnaserror -nologo -clp:ErrorsOnly; then
  echo "build failed" >&2
  summary 0 1
  exit 1
fi

echo "== test" >&2
status=0
passed=0
failed=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c "$configuration" --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" || status=$?
  trx="$results/$name.trx"
  if [ ! -f "$trx" ]; then
    echo "$name reported no results" >&2
    failed=$((failed + 1))
    continue
  fi
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

summary "$passed" "$failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
