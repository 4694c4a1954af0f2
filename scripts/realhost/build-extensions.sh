#!/usr/bin/env bash
# Builds the app's binding extensions for the Azure Functions host when host.json names no
# `extensionBundle` (the real host in shared/realhost cannot download bundles): writes
# OUT_DIR/bin/extensions.json and the extension DLLs with their dependencies, which the host
# loads at start-up, so that `queueTrigger` is registered.
#   - The packages are pinned in scripts/realhost/extensions.csproj (Storage Queues extension +
#     ExtensionsMetadataGenerator), restored from NuGet with the machine's `dotnet` into
#     .tools/nuget (git-ignored, shared with scripts/infra/bicep.sh) and built in a copy under
#     .tools/realhost-extensions/, as `func extensions install` builds its extensions.csproj.
#   - The result is cached there, keyed by the csproj: later runs only copy it (well under 1 s).
#   - OUT_DIR/bin is replaced when this script made it (or it is empty); any other OUT_DIR/bin
#     is left alone (exit 1).
#   - Host fix: the shared/realhost host (4.1037 built for net10.0) does not ship
#     Microsoft.Extensions.DependencyModel, which its extension loader needs as soon as
#     bin/extensions.json exists ("Could not load file or assembly
#     'Microsoft.Extensions.DependencyModel, Version=3.1.6.0'"; the host then restarts in a loop).
#     OUT_DIR/bin/.realhost/ holds that assembly as a runtime package store plus an additional
#     deps file; the two variables that hand them to `dotnet` are printed on stdout and written
#     to OUT_DIR/bin/.realhost/env.sh. They change nothing else in the host.
# Exits 127 when dotnet is missing, 2 when a package cannot be restored, 1 on other failures.
# Usage:
#   eval "$(bash scripts/realhost/build-extensions.sh OUT_DIR)"   # or: . OUT_DIR/bin/.realhost/env.sh
#   PATH="$PWD/node_modules/.bin:$PATH" ../shared/realhost/run-host.sh OUT_DIR 7071
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="$root/.tools"
proj_src="$here/extensions.csproj"
# Bump when the layout of the cached output changes, to rebuild caches made by older scripts.
LAYOUT=2
STAMP=.realhost-extensions

die() {
  local code=$1
  shift
  echo "build-extensions.sh: $*" >&2
  exit "$code"
}

[ $# -eq 1 ] && [ -n "$1" ] || die 1 "usage: build-extensions.sh OUT_DIR   (writes OUT_DIR/bin/extensions.json and the DLLs)"
out="$1"
[ -f "$proj_src" ] || die 1 "missing $proj_src"
command -v dotnet >/dev/null 2>&1 ||
  die 127 "no dotnet on PATH: the .NET SDK is needed to restore the extensions from NuGet (packages in $proj_src)."

csproj_value() { sed -n "s#.*$1.*#\\1#p" "$proj_src" | head -n 1; }
tfm="$(csproj_value '<TargetFramework>\([^<]*\)</TargetFramework>')"
dm_version="$(csproj_value 'PackageDownload Include="Microsoft.Extensions.DependencyModel" Version="\[\([^]]*\)\]"')"
[ -n "$tfm" ] && [ -n "$dm_version" ] || die 1 "cannot read TargetFramework / DependencyModel version from $proj_src"
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die 1 "unsupported machine architecture $(uname -m)" ;;
esac

key="$({ echo "layout=$LAYOUT arch=$arch"; cat "$proj_src"; } | sha256sum | cut -c1-16)"
work="$tools/realhost-extensions"
cached="$work/$key/bin"

build() {
  local build_dir="$work/build-$key" tmp="$work/$key.tmp" log dm_dir fix
  rm -rf "$build_dir" "$tmp"
  mkdir -p "$build_dir" "$tmp"
  cp "$proj_src" "$build_dir/extensions.csproj"
  log="$build_dir/dotnet.log"
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  echo "build-extensions.sh: restoring the extensions from NuGet into .tools/nuget (first run only)..." >&2
  if ! dotnet restore "$build_dir/extensions.csproj" --packages "$tools/nuget" --nologo \
    -nodeReuse:false >"$log" 2>&1; then
    # NU1101: no such package; NU1102/NU1103: no such (stable) version; NU1301: feed unreachable.
    if grep -qE 'error NU1(101|102|103|301)' "$log"; then
      grep -E 'error NU1[0-9]+' "$log" | sed -E 's#^[^:]*extensions.csproj : ##' | awk '!seen[$0]++' >&2
      die 2 "a package of scripts/realhost/extensions.csproj cannot be restored from NuGet (above; full log: $log)."
    fi
    tail -n 30 "$log" >&2
    die 1 "dotnet restore failed (full log: $log)."
  fi
  if ! dotnet build "$build_dir/extensions.csproj" --no-restore -c Release -o "$tmp/bin" --nologo \
    -nodeReuse:false -p:UseSharedCompilation=false >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die 1 "dotnet build failed (full log: $log)."
  fi
  # Only what the host loads: the build's own empty extensions.dll and its pdb/deps are not needed.
  rm -f "$tmp/bin/extensions.dll" "$tmp/bin/extensions.pdb" "$tmp/bin/extensions.deps.json"
  grep -q '"typeName"' "$tmp/bin/extensions.json" 2>/dev/null ||
    die 1 "the build wrote no extension into $tmp/bin/extensions.json (full log: $log)."
  for dll in Microsoft.Azure.WebJobs.Extensions.Storage.Queues Azure.Storage.Queues Azure.Core; do
    [ -f "$tmp/bin/$dll.dll" ] || die 1 "the build left no $dll.dll in $tmp/bin (full log: $log)."
  done

  # Host fix (see the header): a runtime package store <store>/<arch>/<tfm>/<id>/<version>/<asset>
  # and an additional deps file naming the assembly in it.
  dm_dir="microsoft.extensions.dependencymodel/$dm_version"
  [ -f "$tools/nuget/$dm_dir/lib/netstandard2.0/Microsoft.Extensions.DependencyModel.dll" ] ||
    die 2 "Microsoft.Extensions.DependencyModel $dm_version was not restored into .tools/nuget (full log: $log)."
  fix="$tmp/bin/.realhost"
  mkdir -p "$fix/store/$arch/$tfm/$dm_dir/lib/netstandard2.0"
  cp "$tools/nuget/$dm_dir/lib/netstandard2.0/Microsoft.Extensions.DependencyModel.dll" \
    "$fix/store/$arch/$tfm/$dm_dir/lib/netstandard2.0/"
  cat >"$fix/additional.deps.json" <<JSON
{
  "runtimeTarget": { "name": ".NETCoreApp,Version=v${tfm#net}" },
  "targets": {
    ".NETCoreApp,Version=v${tfm#net}": {
      "Microsoft.Extensions.DependencyModel/$dm_version": {
        "runtime": { "lib/netstandard2.0/Microsoft.Extensions.DependencyModel.dll": { "assemblyVersion": "$dm_version.0" } }
      }
    }
  },
  "libraries": {
    "Microsoft.Extensions.DependencyModel/$dm_version": { "type": "package", "serviceable": false, "sha512": "", "path": "$dm_dir" }
  }
}
JSON

  echo "$key" >"$tmp/bin/$STAMP"
  rm -rf "$work/$key"
  mv "$tmp" "$work/$key"
  rm -rf "$build_dir"
}

if [ ! -f "$cached/$STAMP" ]; then
  mkdir -p "$work"
  if command -v flock >/dev/null 2>&1; then
    # Parallel callers wait for one build instead of racing it.
    exec 9>"$work/build.lock"
    flock 9
  fi
  [ -f "$cached/$STAMP" ] || build
fi

# Replace OUT_DIR/bin only if this script made it (or it is empty / absent).
mkdir -p "$out"
out="$(cd "$out" && pwd)"
if [ -d "$out/bin" ]; then
  if [ -f "$out/bin/$STAMP" ] || [ -z "$(ls -A "$out/bin")" ]; then
    rm -rf "$out/bin"
  else
    die 1 "$out/bin exists and was not made by this script; refusing to replace it."
  fi
fi
cp -R "$cached" "$out/bin"

env_lines="export DOTNET_ADDITIONAL_DEPS=\"\${DOTNET_ADDITIONAL_DEPS:+\$DOTNET_ADDITIONAL_DEPS:}$out/bin/.realhost/additional.deps.json\"
export DOTNET_SHARED_STORE=\"\${DOTNET_SHARED_STORE:+\$DOTNET_SHARED_STORE:}$out/bin/.realhost/store\""
printf '%s\n' "# for the shared/realhost host: gives it Microsoft.Extensions.DependencyModel (see build-extensions.sh)" \
  "$env_lines" >"$out/bin/.realhost/env.sh"
echo "build-extensions.sh: $out/bin ready ($(grep -o '"name": *"[^"]*"' "$out/bin/extensions.json" | sed 's/.*: *//' | tr '\n' ' ' | sed 's/ $//')); host fix: . $out/bin/.realhost/env.sh" >&2
printf '%s\n' "$env_lines"
