#!/usr/bin/env bash
# Lints openapi.yaml with Redocly CLI, an OpenAPI linter of another ecosystem than our two Go
# validators, at the exact version pinned in tools/redocly/package-lock.json (name, version and
# integrity hash), with the rules of redocly.yaml and the accepted findings of
# .redocly.lint-ignore.yaml. Any other finding fails.
#
# The first run installs the locked package with `npm ci` (about 15 MB, from the npm registry)
# into a cache outside the repository, keyed by the lockfile's hash:
# ${SCBOAUTH_CACHE:-${XDG_CACHE_HOME:-~/.cache}/scboauth}/redocly-HASH. Later runs are offline.
# Before the real run, it proves the linter fails a spec with a known error.
#
#   scripts/spec-lint.sh [SPEC]     (default openapi.yaml)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
spec=${1:-openapi.yaml}
lock=tools/redocly/package-lock.json

# The package's engines field: Redocly CLI 2.x runs on Node 20.19+ or 22.12+.
if ! command -v node >/dev/null 2>&1 || ! command -v npx >/dev/null 2>&1; then
	echo "spec-lint: Node.js (20.19 or later) and npm are needed; install them (.ci/run does on Debian)" >&2
	exit 2
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
	echo "spec-lint: Node.js $(node --version) is too old for Redocly CLI $(sed -n 's/.*"@redocly\/cli": "\(.*\)".*/\1/p' tools/redocly/package.json); it needs 20.19 or later" >&2
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
# redocly CONFIG_DIR SPEC... runs the pinned CLI; its boxed notice that Node.js 20 support is
# ending (printed on every run under Node 20) is dropped, everything else is kept.
redocly() {
	local status
	npx --prefix "$dir" --no -- redocly lint --config "$1/redocly.yaml" "${@:2}" 2>&1 | sed '/╔/,/╚/d'
	status=${PIPESTATUS[0]}
	return "$status"
}

# Self-check: a spec with `nullable` but no `type` (the defect this linter was brought in for)
# must fail, so a misconfigured linter cannot pass everything.
probe=$(mktemp -d)
trap 'rm -rf "$probe" ${tmp:+"$tmp"}' EXIT
cp redocly.yaml "$probe/"
cat >"$probe/probe.yaml" <<'EOF'
openapi: 3.0.3
info: {title: probe, version: 1.0.0, license: {name: MIT, url: https://opensource.org/licenses/MIT}}
servers: [{url: 'https://api.probe.invalid'}]
security: []
paths:
  /probe:
    get:
      operationId: probe
      summary: A probe
      description: A probe.
      responses:
        '200':
          description: OK
          content:
            application/json:
              schema: {type: object, properties: {data: {nullable: true}}}
        '400': {description: Bad request}
EOF
if out=$(redocly "$probe" "$probe/probe.yaml"); then
	echo "spec-lint: FAIL: the linter passed a spec with nullable but no type:"
	echo "$out"
	exit 1
elif ! grep -q nullable-type-sibling <<<"$out" || ! grep -q 'failed with 1 error\.' <<<"$out"; then
	echo "spec-lint: FAIL: the linter failed the probe spec, but not only for nullable without type:"
	echo "$out"
	exit 1
fi
echo "spec-lint: ok: Redocly CLI fails a spec with nullable but no type"

redocly "$root" "$spec"
