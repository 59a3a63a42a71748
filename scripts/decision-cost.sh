#!/usr/bin/env bash
# Measures what a read's policy decision costs inside a running server, which
# docs/benchmarks.md compares with BenchmarkDecide's loop: `candour dev` on a
# fresh PostgreSQL database, records submitted and read back at one
# connection (candour-load --read), then the mean of
# candour_policy_decision_duration_seconds{action="feedback.read"} from the
# server's /metrics. Each round runs the server twice, in turn: with the
# environment as it is, and with ENV added to it (say GOGC=off), so that the
# machine's drift touches both alike.
#
#   scripts/decision-cost.sh ENV [rounds] [seconds] [postgres://127.0.0.1:5432/postgres]
#
# Needs a PostgreSQL it may create databases in (trust auth on loopback).
# Everything it starts is stopped on exit.
set -euo pipefail
if [ $# -lt 1 ]; then
	echo "usage: scripts/decision-cost.sh ENV [rounds] [seconds] [postgres-url], e.g. GOGC=off" >&2
	exit 2
fi
extra=$1 rounds=${2:-2} secs=${3:-8}
admin=${4:-postgres://postgres@127.0.0.1:5432/postgres}
name=decision-cost
# shellcheck source=scripts/load-lib.sh
source "$(dirname "$0")/load-lib.sh"
for r in $(seq "$rounds"); do
	for side in default "$extra"; do
		psql "$admin" -qc "DROP DATABASE $db" -qc "CREATE DATABASE $db" >/dev/null
		rm -rf "$work/data"
		if [ "$side" = default ]; then
			"$work/candour" dev --database "$url" --data-dir "$work/data" --addr 127.0.0.1:18460 >"$work/server.log" 2>&1 &
		else
			env "$side" "$work/candour" dev --database "$url" --data-dir "$work/data" --addr 127.0.0.1:18460 >"$work/server.log" 2>&1 &
		fi
		pids=($!)
		wait_for http://127.0.0.1:18460/livez
		t=$("$work/candour" token --data-dir "$work/data" --role caseworker --agency victim-support-north)
		load=$("$work/candour-load" --url http://127.0.0.1:18460/v1/feedback --token "$t" --connections 1 --read 2000 \
			--duration "${secs}s" --warmup 2s | tail -1)
		mean=$(curl -s http://127.0.0.1:18460/metrics | awk '
			/^candour_policy_decision_duration_seconds_sum\{action="feedback.read"\}/ { sum = $2 }
			/^candour_policy_decision_duration_seconds_count\{action="feedback.read"\}/ { n = $2 }
			END { if (n > 0) printf "%.1f µs a read decision over %d reads", sum / n * 1e6, n; else print "no read decisions" }')
		printf 'round %d %-10s %s; %s\n' "$r" "$side" "$mean" "$load"
		kill "${pids[@]}" 2>/dev/null || true
		wait 2>/dev/null || true
		pids=()
	done
done
