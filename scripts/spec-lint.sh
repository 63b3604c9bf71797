#!/usr/bin/env bash
# Lints openapi.yaml and sandbox/admin.yaml with Redocly CLI, the project's second OpenAPI
# validator (kin-openapi, in Go, is the first), from another ecosystem, at the exact version
# pinned in tools/redocly/package-lock.json (name, version and integrity hash), with the rules of
# redocly.yaml and the accepted findings of .redocly.lint-ignore.yaml. Any other finding fails.
# In the same run it proves the linter has teeth: a probe with a known defect, and every broken
# copy of openapi.yaml in testdata/broken-copies.json, must fail with the expected finding
# (scripts/spec-lint.mjs, run with Node.js, does the checking).
#
# The first run installs the locked package with `npm ci` (about 15 MB, from the npm registry)
# into a cache outside the repository, keyed by the lockfile's hash:
# ${SCBOAUTH_CACHE:-${XDG_CACHE_HOME:-~/.cache}/scboauth}/redocly-HASH. Later runs are offline.
#
#   scripts/spec-lint.sh
set -euo pipefail
cd "$(dirname "$0")/.."
lock=tools/redocly/package-lock.json
version=$(sed -n 's/.*"@redocly\/cli": "\(.*\)".*/\1/p' tools/redocly/package.json)

# The package's engines field: Redocly CLI 2.x runs on Node 20.19+ or 22.12+.
if ! command -v node >/dev/null 2>&1 || ! command -v npx >/dev/null 2>&1; then
	echo "spec-lint: Node.js (20.19 or later) and npm are needed; install them (.ci/run does on Debian)" >&2
	exit 2
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
	echo "spec-lint: Node.js $(node --version) is too old for Redocly CLI $version; it needs 20.19 or later" >&2
	exit 2
fi

hash=$(sha256sum "$lock" | cut -c1-16)
cache=${SCBOAUTH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scboauth}
dir=$cache/redocly-$hash
if [ ! -x "$dir/node_modules/.bin/redocly" ]; then
	echo "spec-lint: installing Redocly CLI from $lock into $dir (first run only)"
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.redocly-install.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	cp tools/redocly/package.json "$lock" "$tmp/"
	if ! (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error); then
		echo "spec-lint: npm ci failed: the first run needs the npm registry" >&2
		exit 2
	fi
	# Another run may have finished the same install meanwhile: keep the first.
	[ -x "$dir/node_modules/.bin/redocly" ] || rm -rf "$dir"
	mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
fi

export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
echo "spec-lint: Redocly CLI $version, rules of redocly.yaml (recommended-strict), one run"
node scripts/spec-lint.mjs "$dir"
echo "spec-lint: OK: openapi.yaml and sandbox/admin.yaml pass Redocly CLI $version, and it rejects every broken copy"
