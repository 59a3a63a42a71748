#!/usr/bin/env bash
# Measures the citizen channel against a running Candour (docs/benchmarks.md
# keeps the figures), on PostgreSQL and on the embedded SQLite:
#   1. people answering feedback links (the form's last step, one POST per
#      link) at 8 connections, with the public pages' total limit lifted
#      (--public-rate 100000), so that the figure is what the server does;
#   2. the staff API (POST /v1/feedback, 8 connections) quiet; then while
#      people answer links at the public pages' total limit (100 a second,
#      each from another address); then while 64 connections flood the
#      public pages as fast as they are answered with links that do not
#      exist (the load generator shares the machine's two cores with the
#      server): the p99 of each side by side, at the default limits.
#
#   scripts/citizen-load.sh [postgres://127.0.0.1:5432/postgres] [seconds]
#
# Needs a PostgreSQL it may create a database in (trust auth on loopback).
# Everything it starts is stopped on exit.
set -euo pipefail
admin=${1:-postgres://postgres@127.0.0.1:5432/postgres}
secs=${2:-20}
name=citizen-load
# shellcheck source=scripts/load-lib.sh
source "$(dirname "$0")/load-lib.sh"
start() { # start NAME ADDR [flags…]: a dev server on ADDR, data in $work/NAME
	"$work/candour" dev --data-dir "$work/$1" --addr "$2" --client-ip-header X-Forwarded-For "${@:3}" >"$work/$1.log" 2>&1 &
	pids+=($!)
	wait_for "http://$2/livez"
}
links() { # links NAME ADDR COUNT: make COUNT feedback links as an administrator
	local tok n
	tok=$("$work/candour" token --data-dir "$work/$1" --role admin --agency victim-support-north)
	for _ in $(seq 1 $(( $3 / 500 ))); do
		curl -sf -X POST "http://$2/v1/invitations" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
			-d '{"service":"victim-support/initial-contact","touchpoint":"first-contact","period":"2026-10","count":500}' |
			python3 -c 'import json,sys; [print(i["link"]) for i in json.load(sys.stdin)["invitations"]]'
	done >"$work/$1.links"
	n=$(wc -l <"$work/$1.links")
	echo "$n links made" >&2
}
line() { printf '%-44s ' "$1"; shift; "$work/candour-load" "$@" | tr '\n' ' '; echo; }

for store in postgresql sqlite; do
	dbflag=()
	[ "$store" = postgresql ] && dbflag=(--database "$url")
	# 1. People answering links, limits lifted.
	start "$store-public" 127.0.0.1:18440 "${dbflag[@]}" --public-rate 100000
	links "$store-public" 127.0.0.1:18440 20000
	line "$store public submissions, 8 connections" --links "$work/$store-public.links" --connections 8 --duration "${secs}s" --warmup 2s
	kill "${pids[@]}"; wait 2>/dev/null || true; pids=()
	[ "$store" = postgresql ] && psql "$admin" -qc "DROP DATABASE $db" -c "CREATE DATABASE $db" >/dev/null

	# 2. The staff API, quiet and beside the public pages at and over their limit.
	start "$store-staff" 127.0.0.1:18441 "${dbflag[@]}"
	links "$store-staff" 127.0.0.1:18441 $(( (secs + 8) * 100 / 500 * 500 + 500 ))
	token=$("$work/candour" token --data-dir "$work/$store-staff" --role caseworker --agency victim-support-north)
	staff() { line "$store staff API $1, 8 connections" --url http://127.0.0.1:18441/v1/feedback --token "$token" --connections 8 --duration "${secs}s" --warmup 3s; }
	staff quiet
	"$work/candour-load" --links "$work/$store-staff.links" --rate 100 --connections 16 --duration "$(( secs + 6 ))s" --warmup 0s >"$work/public.out" &
	bg=$!
	sleep 1
	staff "beside 100 answers/s"
	wait "$bg" || true
	printf '%-44s ' "$store answers at the limit, 16 connections"; tr '\n' ' ' <"$work/public.out"; echo
	"$work/candour-load" --flood --url http://127.0.0.1:18441 --connections 64 --duration "$(( secs + 6 ))s" --warmup 0s >"$work/flood.out" &
	bg=$!
	sleep 1
	staff "under a flood"
	wait "$bg" || true
	printf '%-44s ' "$store flood of the public pages, 64 connections"; tr '\n' ' ' <"$work/flood.out"; echo
	kill "${pids[@]}"; wait 2>/dev/null || true; pids=()
done
