# Shared by the load scripts (scripts/load-compare.sh, scripts/citizen-load.sh,
# scripts/decision-cost.sh, scripts/insight-ab.sh,
# scripts/load-ab.sh, scripts/cpu-ab.sh):
# sourced after `set -euo pipefail`, with admin (a PostgreSQL URL it may create
# a database in) and name (the script's name, for messages) set. It builds the
# binaries into a temporary directory ($work), creates a fresh database ($db, at
# $url), and on exit stops everything listed in $pids and drops the database.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
work=$(mktemp -d)
pids=()
db="candour_${name//-/_}_$$"
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	psql "$admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
(cd "$root" && go build -o "$work/candour" ./cmd/candour && go build -o "$work/candour-load" ./cmd/candour-load &&
	go build -o "$work/candour-anchor" ./cmd/candour-anchor)
psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
url="${admin%/*}/$db"

wait_for() { # wait_for URL: until it answers, at most 30 s
	for _ in $(seq 1 300); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "$name: $1 did not come up" >&2
	return 1
}

build_revisions() { # build_revisions BEFORE AFTER: candour at two git revisions, as $work/candour-before and -after
	local side rev
	for side in before after; do
		rev=$1
		shift
		git -C "$root" worktree add -q --detach "$work/src-$side" "$rev"
		(cd "$work/src-$side" && go build -o "$work/candour-$side" ./cmd/candour)
		git -C "$root" worktree remove --force "$work/src-$side"
	done
}

in_turn() { # in_turn ROUND: the order the two builds run in that round, alternating so that drift touches both alike
	if [ $(($1 % 2)) = 0 ]; then echo "after before"; else echo "before after"; fi
}

start_build() { # start_build SIDE PORT: candour-SIDE dev on a fresh $db and data directory $work/SIDE, on PORT; its pid in $server and $pids
	psql "$admin" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
	rm -rf "${work:?}/$1"
	"$work/candour-$1" dev --database "$url" --data-dir "$work/$1" --addr "127.0.0.1:$2" >"$work/$1.log" 2>&1 &
	server=$!
	pids+=("$server")
	wait_for "http://127.0.0.1:$2/livez"
}
