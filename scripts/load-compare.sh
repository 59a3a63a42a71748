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
one() { # one CONNECTIONS NAME URL TOKEN [candour-load flags]
	printf '%-24s ' "$2"
	"$work/candour-load" --url "$3" --token "$4" --connections "$1" --duration "${secs}s" --warmup 3s "${@:5}" | tr '\n' ' '
	echo
}

# Candour on PostgreSQL, then the anchor on the same database.
"$work/candour" dev --database "$url" --data-dir "$work/pg" --addr 127.0.0.1:18420 >"$work/pg.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:18420/livez
token=$("$work/candour" token --data-dir "$work/pg" --role caseworker --agency victim-support-north)
"$work/candour-anchor" --database "$url" --addr 127.0.0.1:18430 2>"$work/anchor.log" &
pids+=($!)
wait_for http://127.0.0.1:18430/
# At each width Candour and the anchor are measured one right after the
# other, so that the machine's drift during the run touches both alike.
for c in 1 8 32; do
	one "$c" "candour postgresql" http://127.0.0.1:18420/v1/feedback "$token"
	one "$c" "candour pg no subject" http://127.0.0.1:18420/v1/feedback "$token" --no-subject
	one "$c" "anchor postgresql" http://127.0.0.1:18430/v1/feedback ""
done
for c in 1 8 32; do
	one "$c" "candour postgresql read" http://127.0.0.1:18420/v1/feedback "$token" --read 2000
	one "$c" "anchor postgresql read" http://127.0.0.1:18430/v1/feedback "" --read 2000
done
kill "${pids[@]}"; wait 2>/dev/null || true; pids=()

# Candour on its embedded SQLite.
"$work/candour" dev --data-dir "$work/lite" --addr 127.0.0.1:18421 >"$work/lite.log" 2>&1 &
pids+=($!)
wait_for http://127.0.0.1:18421/livez
token=$("$work/candour" token --data-dir "$work/lite" --role caseworker --agency victim-support-north)
for c in 1 8 32; do
	one "$c" "candour sqlite" http://127.0.0.1:18421/v1/feedback "$token"
done
