#!/usr/bin/env bash
# Regenerates the code (go generate ./...) and fails if that changed, added or removed any file,
# untracked files included, or if generated/ holds anything but cfg.yaml and *.gen.go.
# On a clean clone (CI) this is "git diff --exit-code" plus "no untracked files"; in a working
# tree with uncommitted edits it checks that the generated code is fresh for the current spec.
# Outside a git checkout (a tarball of the repository) it compares every file before and after,
# and skips only the untracked-file check, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."

in_git=false
if command -v git >/dev/null 2>&1 && [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
	in_git=true
fi

# snapshot prints a checksum line per file of the tree (tracked and untracked, not ignored).
snapshot() {
	if $in_git; then
		git ls-files --cached --others --exclude-standard -z
	else
		find . -name .git -prune -o -name node_modules -prune -o -type f -print0
	fi | sort -z | xargs -0 sha256sum 2>/dev/null || true
}

before=$(snapshot)
go generate ./...
after=$(snapshot)

status=0
if [ "$before" != "$after" ]; then
	echo "check-generate: go generate changed the tree; run 'make generate' and commit the result:"
	diff <(echo "$before") <(echo "$after") | sed -n 's/^[<>] [0-9a-f]*  /  /p' | sort -u
	status=1
fi
stray=$(find generated -type f ! -name cfg.yaml ! -name '*.gen.go' | sort)
if [ -n "$stray" ]; then
	echo "check-generate: generated/ must hold only cfg.yaml and *.gen.go; found:"
	echo "$stray" | sed 's/^/  /'
	status=1
fi
if $in_git; then
	untracked=$(git ls-files --others --exclude-standard -- generated)
	if [ -n "$untracked" ]; then
		echo "check-generate: untracked generated files (commit them):"
		echo "$untracked" | sed 's/^/  /'
		status=1
	fi
else
	echo "check-generate: SKIPPED the untracked-file check: $(pwd) is not a git checkout"
fi
[ $status -eq 0 ] && echo "check-generate: OK: generated code is fresh"
exit $status
