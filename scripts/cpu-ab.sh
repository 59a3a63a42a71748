#!/usr/bin/env bash
# Measures the CPU a request costs — Candour's server, PostgreSQL (the
# postmaster and every backend) and the load generator — for Candour built at
# two revisions, in alternating order round by round, each from a fresh
# database. CPU time per request varies much less on a shared machine than
# requests per second do, so it tells two builds apart where the rate cannot
# (docs/benchmarks.md, "Opening a record without age's 64 KiB buffers").
#
#   [CONNECTIONS=8] [READ=2000] scripts/cpu-ab.sh BEFORE AFTER [rounds] [seconds] [postgres://127.0.0.1:5432/postgres]
#
# BEFORE and AFTER are git revisions of this repository. READ=N reads back N
# records just submitted (GET /v1/feedback/{id}); READ=0 measures submissions.
# The window opens once the measured requests have run for two seconds and
# lasts the given seconds (8 by default); the requests in it are counted by
# the server's own /metrics. CPU times come from /proc (Linux). Needs a
# PostgreSQL on this machine it may create databases in (trust auth on
# loopback). Prints one line per build and round; everything it starts is
# stopped on exit.
set -euo pipefail
if [ $# -lt 2 ]; then
	echo "usage: scripts/cpu-ab.sh BEFORE AFTER [rounds] [seconds] [postgres-url]" >&2
	exit 2
fi
before=$1 after=$2 rounds=${3:-4} secs=${4:-8}
conns=${CONNECTIONS:-8} reads=${READ:-2000}
admin=${5:-postgres://postgres@127.0.0.1:5432/postgres}
name=cpu-ab
# shellcheck source=scripts/load-lib.sh
source "$(dirname "$0")/load-lib.sh"
build_revisions "$before" "$after"
route='POST /v1/feedback'
[ "$reads" -gt 0 ] && route='GET /v1/feedback/{id}'

ticks() { # ticks PID...: user and system CPU of the processes, in clock ticks
	local t=0 p stat
	local -a f
	for p in "$@"; do
		stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		# Fields 14 and 15 (utime, stime), counted after the name's ")".
		read -r -a f <<<"${stat##*) }"
		t=$((t + f[11] + f[12]))
	done
	echo "$t"
}
served() { # served PORT: the measured route's answers so far
	curl -s "http://127.0.0.1:$1/metrics" |
		awk -v r="route=\"$route\"" 'index($0, "candour_http_requests_total{") == 1 && index($0, r) { n += $NF } END { printf "%d\n", n }'
}
hz=$(getconf CLK_TCK)
for r in $(seq "$rounds"); do
	for side in $(in_turn "$r"); do
		start_build "$side" 18460
		token=$("$work/candour" token --data-dir "$work/$side" --role caseworker --agency victim-support-north)
		"$work/candour-load" --url http://127.0.0.1:18460/v1/feedback --token "$token" --connections "$conns" \
			--read "$reads" --warmup 1s --duration "$((secs + 6))s" >"$work/load.out" &
		load=$!
		pids+=("$load")
		for _ in $(seq 300); do # at most 30 s for the records to be submitted
			[ "$(served 18460)" -gt 0 ] && break
			sleep 0.1
		done
		if [ "$(served 18460)" -eq 0 ]; then
			echo "$name: the $side build answered no $route in 30 s; the end of its log:" >&2
			tail -n 5 "$work/$side.log" >&2
			exit 1
		fi
		sleep 2
		n0=$(served 18460) s0=$(ticks "$server") p0=$(ticks $(pgrep -x postgres)) l0=$(ticks "$load")
		sleep "$secs"
		n1=$(served 18460) s1=$(ticks "$server") p1=$(ticks $(pgrep -x postgres)) l1=$(ticks "$load")
		wait "$load"
		kill -INT "$server"
		wait "$server" 2>/dev/null || true
		pids=()
		if [ $((n1 - n0)) -le 0 ]; then
			echo "$name: the $side build answered no $route in the ${secs} s window" >&2
			exit 1
		fi
		awk -v r="$r" -v side="$side" -v n=$((n1 - n0)) -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v l=$((l1 - l0)) -v hz="$hz" 'BEGIN {
			us = 1e6 / hz / n
			printf "round %d %-6s %6d requests in the window  server %4.0f µs  postgresql %4.0f µs  load %3.0f µs a request\n", r, side, n, s * us, p * us, l * us
		}'
	done
done
