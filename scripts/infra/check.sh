#!/usr/bin/env bash
# Infra check: compile infra/main.bicep to .tools/arm/main.json with every linter diagnostic
# treated as a failure, check infra/main.parameters.json against the compiled parameters, then
# run the infra tests (test/infra) on the compiled template.
# Needs a Bicep CLI (see scripts/infra/bicep.sh); without one it fails when CI is set and skips
# (exit 0, with a message) elsewhere.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bicep=(bash scripts/infra/bicep.sh)

if ! "${bicep[@]}" --version >/dev/null; then
  if [ -n "${CI:-}" ] && [ "${CI}" != "false" ]; then
    echo "infra check: no Bicep CLI available (CI is set) - failing." >&2
    exit 1
  fi
  echo "infra check: no Bicep CLI available - skipped (install bicep, az, or dotnet)." >&2
  exit 0
fi

mkdir -p .tools/arm
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Bicep prints nothing for a clean file, and exits 0 on warnings: so ANY printed diagnostic
# (Error, Warning or Info, any file under infra/) fails the check. bicepconfig.json also raises
# the linter rules to error level, which makes the exit code fail as well.
"${bicep[@]}" lint --pattern 'infra/**/*.bicep' >"$log" 2>&1 \
  || { cat "$log" >&2; echo "infra check: lint failed" >&2; exit 1; }
if [ -s "$log" ]; then cat "$log" >&2; echo "infra check: linter diagnostics (warnings count as failures)" >&2; exit 1; fi
"${bicep[@]}" build infra/main.bicep --outfile .tools/arm/main.json >"$log" 2>&1 \
  || { cat "$log" >&2; echo "infra check: build failed" >&2; exit 1; }
if [ -s "$log" ]; then cat "$log" >&2; echo "infra check: build printed diagnostics" >&2; exit 1; fi
echo "infra check: built .tools/arm/main.json"

# The azd parameters file: valid JSON, and only parameters main.bicep declares.
node -e '
  const fs = require("node:fs");
  const params = JSON.parse(fs.readFileSync("infra/main.parameters.json", "utf8")).parameters;
  const declared = JSON.parse(fs.readFileSync(".tools/arm/main.json", "utf8")).parameters;
  const unknown = Object.keys(params).filter((k) => !(k in declared));
  if (unknown.length) { console.error("infra/main.parameters.json: unknown parameters: " + unknown.join(", ")); process.exit(1); }
  console.log("infra check: main.parameters.json sets " + Object.keys(params).length + " declared parameters");
'

npx vitest run test/infra
