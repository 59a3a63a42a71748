#!/usr/bin/env bash
# Measures POST /v1/feedback (records with a subject reference, then without
# one), and GET /v1/feedback/{id} of records just submitted, on Candour
# against candour-anchor (a bare server doing one plain INSERT, or one SELECT
# by id, of a row of the same shape) side by side, in one run, at 1, 8 and 32
# connections, on the same PostgreSQL; then Candour's submissions on its
# embedded SQLite. Prints one line per measurement.
# docs/benchmarks.md keeps the figures.
#
#   scripts/load-compare.sh [postgres://127.0.0.1:5432/postgres] [seconds]
#
# Needs a PostgreSQL it may create a database in (trust auth on loopback, as
# on the project's machines). Everything it starts is stopped on exit.
set -euo pipefail
admin=${1:-postgres://postgres@127.0.0.1:5432/postgres}
secs=${2:-20}
name=load-compare
# shellcheck source=scripts/load-lib.sh
source "$(dirname "$0")/load-lib.sh"
measure() { # measure NAME URL TOKEN [--read N]
	for c in 1 8 32; do
		printf '%-24s ' "$1"
		"$work/candour-load" --url "$2" --token "$3" --connections "$c" --duration "${secs}s" --warmup 3s "${@:4}" | tr '\n' ' '
		echo
	done
}

# Candour on PostgreSQL, then the anchor on the same database.
"$work/candour" dev --database "$url" --data-dir "$work/pg" --addr 127.0.0.1:18420 >"$work/pg.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:18420/livez
token=$("$work/candour" token --data-dir "$work/pg" --role caseworker --agency victim-support-north)
"$work/candour-anchor" --database "$url" --addr 127.0.0.1:18430 2>"$work/anchor.log" &
pids+=($!)
wait_for http://127.0.0.1:18430/
measure "candour postgresql" http://127.0.0.1:18420/v1/feedback "$token"
measure "candour pg no subject" http://127.0.0.1:18420/v1/feedback "$token" --no-subject
measure "anchor postgresql" http://127.0.0.1:18430/v1/feedback ""
measure "candour postgresql read" http://127.0.0.1:18420/v1/feedback "$token" --read 2000
measure "anchor postgresql read" http://127.0.0.1:18430/v1/feedback "" --read 2000
kill "${pids[@]}"; wait 2>/dev/null || true; pids=()

# Candour on its embedded SQLite.
"$work/candour" dev --data-dir "$work/lite" --addr 127.0.0.1:18421 >"$work/lite.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:18421/livez
token=$("$work/candour" token --data-dir "$work/lite" --role caseworker --agency victim-support-north)
measure "candour sqlite" http://127.0.0.1:18421/v1/feedback "$token"
