#!/usr/bin/env bash
# Proves scripts/breaking.sh on the fixtures in testdata/breaking: a request field that becomes
# required must be reported and fail; the same change with a raised major version must pass;
# a compatible change must pass. Then, in throwaway repositories, how it treats its base
# revision: a base that does not exist fails; no base at all (a first commit, a shallow clone,
# no git checkout) skips, saying why.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
root=$(pwd)
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

# expect_rev NAME WANT_STATUS WANT_TEXT DIR REV: runs the script in DIR against revision REV.
expect_rev() {
	local out status
	out=$(cd "$4" && "$root/scripts/breaking.sh" --base-rev "$5" openapi.yaml 2>&1)
	status=$?
	if [ "$status" -ne "$2" ] || ! grep -qF -- "$3" <<<"$out"; then
		echo "breaking-test: $1: got exit $status, want $2 and \"$3\" in:"; echo "$out"; fail=1; return
	fi
	echo "breaking-test: ok: $1"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/plain"
cp "$dir/base.yaml" "$tmp/plain/openapi.yaml"
expect_rev "no git checkout: skipped" 0 'is not the root of a git checkout' "$tmp/plain" HEAD~1
if command -v git >/dev/null 2>&1; then
	g() { git -C "$1" -c user.name=breaking-test -c user.email=breaking-test@localhost "${@:2}"; }
	g "$tmp" init -q repo
	cp "$dir/base.yaml" "$tmp/repo/openapi.yaml"
	g "$tmp/repo" add openapi.yaml && g "$tmp/repo" commit -q -m first
	expect_rev "first commit: skipped" 0 'HEAD is the first commit' "$tmp/repo" HEAD~1
	expect_rev "a base that does not exist fails" 2 "base revision 'typo' does not exist" "$tmp/repo" typo
	expect_rev "an empty base fails" 2 "the base revision is empty" "$tmp/repo" ""
	cp "$dir/compatible.yaml" "$tmp/repo/openapi.yaml"
	g "$tmp/repo" commit -q -am second
	git clone -q --depth 1 "file://$tmp/repo" "$tmp/shallow"
	expect_rev "shallow clone: skipped" 0 'the clone is shallow' "$tmp/shallow" HEAD~1
	expect_rev "shallow clone, a named base it lacks: fails" 2 "base revision 'origin/gone' does not exist" "$tmp/shallow" origin/gone
else
	echo "breaking-test: SKIPPED the git cases: git is not installed"
fi
exit $fail
