#!/usr/bin/env bash
# Proves scripts/breaking.sh on the fixtures in testdata/breaking: a request field that becomes
# required must be reported and fail; the same change with a raised major version must pass;
# a compatible change must pass.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=testdata/breaking
fail=0

# expect NAME WANT_STATUS WANT_TEXT REVISION
expect() {
	local out status
	out=$(scripts/breaking.sh --base-file "$dir/base.yaml" "$dir/$4" 2>&1)
	status=$?
	if [ "$status" -ne "$2" ]; then
		echo "breaking-test: $1: got exit $status, want $2"; echo "$out"; fail=1; return
	fi
	if ! grep -qF -- "$3" <<<"$out"; then
		echo "breaking-test: $1: output lacks \"$3\""; echo "$out"; fail=1; return
	fi
	echo "breaking-test: ok: $1"
}

expect "a field becoming required is reported" 1 'the request property `state` became required' revision.yaml
expect "a field becoming required fails the check" 1 'breaking: FAIL' revision.yaml
expect "a raised major version allows it" 0 "major number rose (1 -> 2)" major.yaml
expect "a compatible change passes" 0 'breaking: OK: no breaking change' compatible.yaml
exit $fail
