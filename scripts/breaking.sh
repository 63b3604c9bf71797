#!/usr/bin/env bash
# Fails when SPEC has a breaking change against a base version of it, unless info.version's major
# number was raised. oasdiff (pinned in tools/oasdiff.mod) finds the breaking changes.
#
#   scripts/breaking.sh --base-rev REV SPEC    compare with SPEC as it was at git revision REV
#   scripts/breaking.sh --base-file FILE SPEC  compare with another file
#
# With --base-rev, there is sometimes no base at all; then it skips, saying why, and exits 0:
#   - not a git checkout (a tarball of the repository);
#   - no commit yet, or REV is relative to HEAD (HEAD~1, HEAD^, @~2...) and the history does not
#     reach that far: HEAD is the first commit, or the clone is shallow;
#   - SPEC does not exist at REV (the spec is new).
# Any other REV that does not name a commit (BASE=typo, or a branch a shallow clone lacks) is an
# error: the caller asked for a comparison that cannot be made.
#
# Exit: 0 no breaking change, or breaking but the major version rose, or skipped (said plainly);
# 1 breaking change without a major version bump; 2 usage error, or a base revision that does not
# exist.
set -euo pipefail

usage() { echo "usage: $0 (--base-rev REV | --base-file FILE) SPEC" >&2; exit 2; }

base_rev='' base_file=''
case "${1:-}" in
--base-rev)
	[ $# -ge 2 ] || usage
	[ -n "$2" ] || { echo "breaking: the base revision is empty (BASE is set but empty): name a commit, branch or tag, or leave BASE unset for HEAD~1" >&2; exit 2; }
	base_rev=$2; shift 2 ;;
--base-file) [ -n "${2:-}" ] || usage; base_file=$2; shift 2 ;;
*) usage ;;
esac
[ $# -eq 1 ] || usage
spec=$1
[ -f "$spec" ] || { echo "breaking: $spec: no such file" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# no_git explains, and returns 0, when there is no history to take a base from at all.
no_git() {
	if ! command -v git >/dev/null 2>&1; then
		echo "git is not installed"
	elif [ "$(git rev-parse --show-toplevel 2>/dev/null)" != "$(pwd -P)" ]; then
		echo "$(pwd) is not the root of a git checkout"
	elif ! git rev-parse --verify --quiet HEAD >/dev/null; then
		echo "there is no commit yet"
	else
		return 1
	fi
}

# short_history REV explains, and returns 0, when REV is relative to HEAD (HEAD~1, HEAD^, @~2)
# and so does not exist because the history is too short: the first commit, or a shallow clone.
short_history() {
	[[ "$1" =~ ^(HEAD|@)([~^][0-9]*)+$ ]] || return 1
	if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
		echo "the clone is shallow and its history does not reach $1 (git fetch --deepen=1 adds a commit)"
	else
		echo "the history does not reach $1 (HEAD is the first commit, or $1 goes past it)"
	fi
}

if [ -n "$base_rev" ]; then
	if why=$(no_git); then
		echo "breaking: SKIPPED: no base to compare $spec with: $why"
		exit 0
	fi
	if ! git rev-parse --verify --quiet "$base_rev^{commit}" >/dev/null; then
		if why=$(short_history "$base_rev"); then
			echo "breaking: SKIPPED: no base to compare $spec with: $why"
			exit 0
		fi
		echo "breaking: base revision '$base_rev' does not exist in this repository; pass an existing commit, branch or tag as BASE (for a remote branch, fetch it first)" >&2
		exit 2
	fi
	if ! git cat-file -e "$base_rev:./$spec" 2>/dev/null; then
		echo "breaking: SKIPPED: $spec does not exist at $base_rev; nothing to compare with"
		exit 0
	fi
	git show "$base_rev:./$spec" >"$tmp/base.yaml"
	base_name="$spec at $base_rev ($(git rev-parse --short "$base_rev"))"
else
	[ -f "$base_file" ] || { echo "breaking: $base_file: no such file" >&2; exit 2; }
	cp "$base_file" "$tmp/base.yaml"
	base_name=$base_file
fi

# major FILE prints the major number of info.version (the first "version:" under "info:").
major() {
	awk '/^info:/ { in_info = 1; next }
	     in_info && /^[^ #]/ { exit }
	     in_info && /^  version:/ { v = $2; gsub(/["'\'']/, "", v); split(v, p, "."); print p[1]; exit }' "$1"
}
base_major=$(major "$tmp/base.yaml")
new_major=$(major "$spec")
if ! [[ "$base_major" =~ ^[0-9]+$ && "$new_major" =~ ^[0-9]+$ ]]; then
	echo "breaking: cannot read info.version's major number (base: '$base_major', $spec: '$new_major')" >&2
	exit 2
fi

echo "breaking: comparing $spec (version major $new_major) with $base_name (version major $base_major)"
set +e
go tool -modfile=tools/oasdiff.mod oasdiff breaking "$tmp/base.yaml" "$spec" --fail-on ERR --format text >"$tmp/report" 2>&1
status=$?
set -e
cat "$tmp/report"
case $status in
0)
	echo "breaking: OK: no breaking change"
	;;
1)
	if [ "$new_major" -gt "$base_major" ]; then
		echo "breaking: OK: breaking changes above are allowed because info.version's major number rose ($base_major -> $new_major)"
	else
		echo "breaking: FAIL: breaking changes without a major version bump (info.version major is still $new_major); raise it or keep the change compatible"
		exit 1
	fi
	;;
*)
	echo "breaking: oasdiff failed (exit $status)" >&2
	exit 2
	;;
esac
