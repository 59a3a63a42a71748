#!/usr/bin/env bash
# Measures an analyst's insight summaries on Candour built at two revisions,
# in turn: each round starts each side on a fresh database, sends REQUESTS
# summaries one after another on one connection (one curl, keep-alive) as an
# analyst of police-north for service improvement, and reports how long they
# took and the mean of the server's own insight.summary decision times
# (candour_policy_decision_duration_seconds, from /metrics). The order of the
# two alternates from round to round. docs/benchmarks.md keeps the figures.
#
#   scripts/insight-ab.sh BEFORE AFTER [rounds] [requests] [postgres://127.0.0.1:5432/postgres]
#
# Needs a PostgreSQL it may create databases in (trust auth on loopback).
# Everything it starts is stopped on exit.
set -euo pipefail
if [ $# -lt 2 ]; then
	echo "usage: scripts/insight-ab.sh BEFORE AFTER [rounds] [requests] [postgres-url]" >&2
	exit 2
fi
before=$1 after=$2 rounds=${3:-3} requests=${4:-2000}
admin=${5:-postgres://postgres@127.0.0.1:5432/postgres}
name=insight-ab
# shellcheck source=scripts/load-lib.sh
source "$(dirname "$0")/load-lib.sh"
build_revisions "$before" "$after"
for _ in $(seq "$requests"); do
	printf 'url = "http://127.0.0.1:18480/v1/insights/summary"\noutput = "/dev/null"\n'
done >"$work/curl.cfg"
for r in $(seq "$rounds"); do
	for side in $(in_turn "$r"); do
		start_build "$side" 18480
		t=$("$work/candour-$side" token --data-dir "$work/$side" --role analyst --agency police-north)
		start=$(date +%s.%N)
		codes=$(curl -s -H "Authorization: Bearer $t" -H "Candour-Purpose: service_improvement" -K "$work/curl.cfg" \
			-w '%{http_code}\n' | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
		end=$(date +%s.%N)
		curl -s http://127.0.0.1:18480/metrics | awk -v side="$side" -v r="$r" -v s="$start" -v e="$end" -v codes="$codes" '
			/^candour_policy_decision_duration_seconds_sum\{action="insight.summary"\}/ { sum = $2 }
			/^candour_policy_decision_duration_seconds_count\{action="insight.summary"\}/ { n = $2 }
			END { printf "round %d %-6s %s in %.2f s; %d decisions, mean %.1f µs\n", r, side, codes, e - s, n, n ? sum / n * 1e6 : 0 }'
		kill -INT "$server"
		wait "$server" 2>/dev/null || true
		pids=()
	done
done
