#!/usr/bin/env bash
# Runs the Bicep CLI with the given arguments, from the first source that works:
#   1. `bicep` on PATH;
#   2. `az bicep` when the Azure CLI is installed;
#   3. the pinned NuGet package Azure.Bicep.CommandLine.linux-x64 restored with the machine's
#      `dotnet` into .tools/ (git-ignored) — reused on later runs.
# Exits 127 with a message when none is available.
# Usage: bash scripts/infra/bicep.sh build infra/main.bicep --outfile .tools/arm/main.json
set -euo pipefail

BICEP_VERSION="0.49.2"
PACKAGE="Azure.Bicep.CommandLine.linux-x64"
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/.tools"
pkg_dir="$tools/nuget/$(echo "$PACKAGE" | tr '[:upper:]' '[:lower:]')/$BICEP_VERSION"

if command -v bicep >/dev/null 2>&1; then
  exec bicep "$@"
fi
if command -v az >/dev/null 2>&1 && az bicep version >/dev/null 2>&1; then
  exec az bicep "$@"
fi

find_binary() {
  [ -d "$pkg_dir" ] || return 1
  find "$pkg_dir" -type f -name bicep -path '*linux-x64*' 2>/dev/null | head -n 1
}

bin="$(find_binary || true)"
if [ -z "$bin" ] && command -v flock >/dev/null 2>&1; then
  # Parallel callers (e.g. test workers) wait for one restore instead of racing it.
  mkdir -p "$tools"
  exec 9>"$tools/bicep-restore.lock"
  flock 9
  bin="$(find_binary || true)"
fi
if [ -z "$bin" ]; then
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "bicep.sh: no bicep on PATH, no az, and the NuGet fallback only covers linux-x64." >&2
    exit 127
  fi
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "bicep.sh: no bicep on PATH, no 'az bicep' and no dotnet to restore $PACKAGE $BICEP_VERSION." >&2
    exit 127
  fi
  echo "bicep.sh: restoring $PACKAGE $BICEP_VERSION into .tools/nuget (first run only)..." >&2
  proj="$tools/bicep"
  mkdir -p "$proj"
  cat >"$proj/restore-bicep.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <!-- Throwaway project: only downloads the Bicep CLI package; nothing is built. -->
  <PropertyGroup>
    <TargetFramework>net$(dotnet --version | cut -d. -f1-2)</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$PACKAGE" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
XML
  if ! dotnet restore "$proj/restore-bicep.csproj" --packages "$tools/nuget" --nologo -v quiet >&2; then
    echo "bicep.sh: dotnet restore of $PACKAGE $BICEP_VERSION failed." >&2
    exit 127
  fi
  bin="$(find_binary || true)"
  if [ -z "$bin" ]; then
    echo "bicep.sh: restored $PACKAGE but found no bicep binary under $pkg_dir." >&2
    exit 127
  fi
fi
chmod +x "$bin"
exec "$bin" "$@"
