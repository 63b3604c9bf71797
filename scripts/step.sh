#!/usr/bin/env bash
# Runs one step of a make target and frames it, so that a long first run is never silent:
#
#   ==> vet: go vet -race ./...
#   ... vet: still running (1m00s)          every HEARTBEAT seconds (default 60) while it runs
#   <== vet: ok in 1m12s, cpu 2m05s         or FAILED (exit N) in ...
#
# After each line, the time since `make` started is shown in brackets when SCBOAUTH_T0 (a Unix
# time, exported by the Makefile) is set.
#
#   scripts/step.sh NAME COMMAND [ARG...]
set -uo pipefail

[ $# -ge 2 ] || { echo "usage: $0 NAME COMMAND [ARG...]" >&2; exit 2; }
name=$1
shift

# duration SECONDS prints 42s, 3m07s or 1h02m03s.
duration() {
	local s=$1
	if [ "$s" -ge 3600 ]; then printf '%dh%02dm%02ds' $((s / 3600)) $((s % 3600 / 60)) $((s % 60))
	elif [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60))
	else printf '%ds' "$s"; fi
}

# since prints " [total 3m07s]" when make's start time is known.
since() {
	[ -n "${SCBOAUTH_T0:-}" ] || return 0
	printf ' [total %s]' "$(duration $(($(date +%s) - SCBOAUTH_T0)))"
}

start=$(date +%s)
echo "==> $name: $*$(since)"

# The heartbeat stops by itself when this script is gone (Ctrl-C, a killed make); its sleep holds
# no pipe open, so `make test | tee log` ends when the last step does.
parent=$$
(
	while sleep "${HEARTBEAT:-60}" >/dev/null 2>&1 && kill -0 "$parent" 2>/dev/null; do
		echo "... $name: still running ($(duration $(($(date +%s) - start))))$(since)"
	done
) &
heartbeat=$!

# The command's CPU time (user + system, its children included) next to the wall time tells a
# slow step from a busy machine.
cpufile=$(mktemp)
TIMEFORMAT='%3U %3S'
{ time "$@" 2>&4 4>&-; } 4>&2 2>"$cpufile"
status=$?
cpu=$(awk '{ printf "%d", $1 + $2 }' "$cpufile")
rm -f "$cpufile"

kill "$heartbeat" 2>/dev/null
wait "$heartbeat" 2>/dev/null
took=$(duration $(($(date +%s) - start)))
if [ "$status" -eq 0 ]; then
	echo "<== $name: ok in $took, cpu $(duration "$cpu")$(since)"
else
	echo "<== $name: FAILED (exit $status) in $took, cpu $(duration "$cpu")$(since)"
fi
exit "$status"
