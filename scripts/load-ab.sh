#!/usr/bin/env bash
# Measures submissions, every record a new person's, on Candour built at two
# revisions side by side, with candour-anchor (the bare INSERT server) beside
# them: each round starts from fresh databases, and the order of the two
# alternates from round to round, so that the machine's drift touches both
# alike. docs/benchmarks.md keeps the figures.
#
#   [CONNECTIONS=1] [READ=0] [AFTER_SETTING=name=value] scripts/load-ab.sh BEFORE AFTER [rounds] [seconds] [postgres://127.0.0.1:5432/postgres]
#
# BEFORE and AFTER are git revisions of this repository. CONNECTIONS sets how
# many requests are in flight at once; READ=N measures reading back N records
# just submitted instead (the anchor then selects). AFTER_SETTING sets one
# PostgreSQL setting on the AFTER side's database only (ALTER DATABASE ... SET),
# for experiments such as AFTER_SETTING=synchronous_commit=off with the same
# revision on both sides: every commit of that side then answers before its
# flush, which Candour never does in earnest. Needs a PostgreSQL it may create
# databases in (trust auth on loopback). Everything it starts is stopped on
# exit.
set -euo pipefail
if [ $# -lt 2 ]; then
	echo "usage: scripts/load-ab.sh BEFORE AFTER [rounds] [seconds] [postgres-url]" >&2
	exit 2
fi
before=$1 after=$2 rounds=${3:-4} secs=${4:-8}
conns=${CONNECTIONS:-1} reads=${READ:-0}
admin=${5:-postgres://postgres@127.0.0.1:5432/postgres}
setting=${AFTER_SETTING:-}
if [ -n "$setting" ] && ! [[ $setting =~ ^[a-z_]+=[A-Za-z0-9_]+$ ]]; then
	echo "load-ab: AFTER_SETTING must be one PostgreSQL setting as name=value, such as synchronous_commit=off." >&2
	exit 2
fi
name=load-ab
# shellcheck source=scripts/load-lib.sh
source "$(dirname "$0")/load-lib.sh"
build_revisions "$before" "$after"
for side in before after; do
	psql "$admin" -qc "CREATE DATABASE ${db}_$side" >/dev/null
done
trap 'cleanup; for s in before after; do psql "$admin" -qc "DROP DATABASE IF EXISTS ${db}_$s" >/dev/null 2>&1 || true; done' EXIT
for r in $(seq "$rounds"); do
	order="before after"
	[ $((r % 2)) = 0 ] && order="after before"
	port=18440
	for side in before after; do
		psql "$admin" -qc "DROP DATABASE ${db}_$side" -qc "CREATE DATABASE ${db}_$side" >/dev/null
		if [ "$side" = after ] && [ -n "$setting" ]; then
			psql "$admin" -qc "ALTER DATABASE ${db}_after SET ${setting%%=*} = '${setting#*=}'" >/dev/null
		fi
		rm -rf "$work/$side"
		port=$((port + 1))
		"$work/candour-$side" dev --database "${admin%/*}/${db}_$side" --data-dir "$work/$side" \
			--addr "127.0.0.1:$port" >"$work/$side.log" 2>&1 &
		pids+=($!)
		wait_for "http://127.0.0.1:$port/livez"
	done
	"$work/candour-anchor" --database "${admin%/*}/${db}_before" --addr 127.0.0.1:18449 2>"$work/anchor.log" &
	pids+=($!)
	wait_for http://127.0.0.1:18449/
	for side in $order anchor; do
		case $side in
		before) u=http://127.0.0.1:18441/v1/feedback t=$("$work/candour" token --data-dir "$work/before" --role caseworker --agency victim-support-north) ;;
		after) u=http://127.0.0.1:18442/v1/feedback t=$("$work/candour" token --data-dir "$work/after" --role caseworker --agency victim-support-north) ;;
		anchor) u=http://127.0.0.1:18449/v1/feedback t="" ;;
		esac
		printf 'round %d %-7s ' "$r" "$side"
		"$work/candour-load" --url "$u" --token "$t" --connections "$conns" --read "$reads" --duration "${secs}s" --warmup 2s | tr '\n' ' '
		echo
	done
	kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	pids=()
done
