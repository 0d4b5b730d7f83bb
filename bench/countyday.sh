#!/usr/bin/env bash
# The county-day benchmark (bench/COUNTYDAY.md says what each figure means). After the
# README set-up (Go and a C compiler), on a machine with at least two cores:
#
#   bash bench/countyday.sh                              # the county, SQLite
#   SCALE=small RATE=100 bash bench/countyday.sh         # a quick look on a small data set
#   CUNLU_BENCH_POSTGRES_URL='postgres://cunlu:cunlu@127.0.0.1:5432/postgres?sslmode=disable' \
#     bash bench/countyday.sh                            # and PostgreSQL, two instances
#
# It builds Cunlu and bench/countyday, generates the data set with "cunlu loadgen" (kept in
# bench/cache/ and reused while the generator, migrations, courses and catalogue are
# unchanged), and then, with the server pinned to CPU 0 (GOMAXPROCS=1) and the load
# generator to CPU 1:
#   (g) start-up: five starts on the data set, start to the first /healthz answer;
#   (a) the county-day mix at RATE steps/s for DURATION, after a warm-up;
#   (b) the highest rate that meets p95 ≤ 100 ms, p99 ≤ 300 ms with no errors: trials of
#       TRIAL at rising rates from START_RATE, then bisection (at most MAX_TRIALS);
#   (d) 40 villagers signing in with phone and PIN within 5 s, then (c) the classroom:
#       the same 40 submit one quiz within a second and check out;
#   (e) checkout at low load by lv00001 (1 past order) and lv00002 (2,000);
#   (f) 4 coordinators at once on the overview and its drill-downs for DURATION;
#   (g) the server's peak memory (VmHWM) over all of it.
# With CUNLU_BENCH_POSTGRES_URL (a server where the role may create databases), the same on
# PostgreSQL in a fresh database, with two Cunlu instances (both on CPU 0) sharing it and
# the virtual users spread over them; the database is dropped at the end.
# Everything goes to 127.0.0.1 and stops by itself; the output is in bench/out/countyday/
# (summary.txt: the BUDGET lines; the other files: each part's tables and the servers' logs).
#
# Settings (environment): SCALE (county, tenth or small; default county), COUNTIES
# (virtual users: 40 villagers, 20 partners and a coordinator per county; default 10, 1 for
# small), RATE (1000), DURATION (20s), TRIAL (15s), START_RATE (200), MAX_TRIALS (8),
# PG_SCALE (the data set for PostgreSQL; default SCALE), SERVER_CPU (0), LOAD_CPU (1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:$PATH"
root=$PWD
out=${OUT:-$root/bench/out/countyday}
cache=${CACHE:-$root/bench/cache}
scale=${SCALE:-county}
rate=${RATE:-1000}
dur=${DURATION:-20s}
trial=${TRIAL:-15s}
start_rate=${START_RATE:-200}
max_trials=${MAX_TRIALS:-8}
server_cpu=${SERVER_CPU:-0}
load_cpu=${LOAD_CPU:-1}
case "$scale" in
county | tenth) counties=${COUNTIES:-10} ;;
small) counties=${COUNTIES:-1} ;; # 120 villagers: 42 are kept for checkout and the bursts
*) echo "SCALE must be county, tenth or small" >&2; exit 2 ;;
esac
mkdir -p "$out" "$cache"
rm -f "$out"/*.txt "$out"/server-*.log
work=$(mktemp -d)
pids=()
pg_db=
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	cp "$work"/server-*.log "$out"/ 2>/dev/null || true
	if [ -n "$pg_db" ]; then psql -q "$CUNLU_BENCH_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
summary=$out/summary.txt
: >"$summary"
say() { printf '%s\n' "$*" | tee -a "$summary"; }

# Pinning: the server on one core, the load generator on another, when there are two.
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	on_server=(taskset -c "$server_cpu")
	on_load=(taskset -c "$load_cpu")
else
	echo "fewer than two CPUs (or no taskset): the server and the generator are not pinned" >&2
	on_server=()
	on_load=()
fi

echo "building"
go build -o "$work/cunlu" .
go build -o "$work/countyday" ./bench/countyday
gen() { "${on_load[@]}" "$work/countyday" "$@"; }

# The server runs as docs/PERFORMANCE.md advises a small server to run it (Go's soft heap
# limit and glibc's arenas); MEMORY=default runs it without these settings.
memory_env=(GOMEMLIMIT="${GOMEMLIMIT:-60MiB}" MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}")
if [ "${MEMORY:-advised}" = default ]; then memory_env=(); fi

say "== $(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -sm); $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo); $(go version | cut -d' ' -f3)"
say "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg); scale $scale; $counties × (40 villagers, 20 partners, 1 coordinator)"
say "server memory settings: ${memory_env[*]:-Go's and glibc's defaults (MEMORY=default)}"

# The data set, generated once per version of what it is made from.
key=$(cat <(echo "$scale") $(git ls-files app/demo app/db courses app/sandbox/data app/app.go | grep -v '_test\.go$' | sort) | sha256sum | cut -c1-16)
cached=$cache/$scale-$key.db
if [ ! -f "$cached" ]; then
	echo "generating the $scale data set (once; kept as $cached)"
	rm -f "$cache/$scale-"*.db "$cache/$scale-"*.db.key
	"$work/cunlu" loadgen -scale "$scale" -database-url "$work/gen.db" 2>"$out/loadgen-sqlite.log" | tail -n 4 ||
		{ tail -c 2000 "$out/loadgen-sqlite.log"; exit 1; }
	# The villagers' PINs are hashed under the key made beside the database: it travels with it.
	mv "$work/gen.db.key" "$cached.key"
	mv "$work/gen.db" "$cached"
fi
db=$work/county.db
cp "$cached" "$db"
keyfile=$cached.key

# start DB [flags]: starts Cunlu pinned, on a free port; sets $server and $port.
start() {
	local db=$1
	shift
	port=$("$work/countyday" -mode freeport)
	local t0
	t0=$(date +%s%N)
	env GOMAXPROCS=1 "${memory_env[@]}" "${on_server[@]}" "$work/cunlu" -database-url "$db" -key-file "$keyfile" -addr "127.0.0.1:$port" -log-level warn "$@" >>"$work/server-$port.log" 2>&1 &
	server=$!
	pids+=("$server")
	started_ms=$(gen -mode startup -base "http://127.0.0.1:$port" -since "$t0") || { cat "$work/server-$port.log"; exit 1; }
}
stop() { kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }
hwm() { awk '/VmHWM/ { printf "%.1f", $2/1024 }' "/proc/$1/status"; }
budgets() { grep '^BUDGET' "$1" | sed 's/^BUDGET | /  /' >>"$summary" || true; }

# ---------------------------------------------------------------------------------------
# run_all NAME LABEL DB [second instance]: every part on one server (or two, on PostgreSQL);
# the parts' outputs go to $out/NAME-*.txt.
run_all() {
	local name=$1 label=$2 db=$3 two=${4:-}
	local file=$out/$name
	start "$db"
	local bases="http://127.0.0.1:$port" pidlist=$server
	if [ -n "$two" ]; then
		start "$db"
		bases="$bases,http://127.0.0.1:$port"
		pidlist="$pidlist,$server"
	fi
	local common=(-base "$bases" -pids "$pidlist" -label "$label" -sessions "$work/sessions-$name.json")
	local users=(-villagers $((40 * counties)) -partners $((20 * counties)) -coordinators "$counties")
	say ""
	say "== $label"
	echo "(a) the county-day mix at $rate steps/s"
	gen -mode mix "${common[@]}" "${users[@]}" -rate "$rate" -duration "$dur" | tee "$file-a-mix.txt" | grep -v '^ ' || true
	budgets "$file-a-mix.txt"
	echo "(b) the highest rate one core sustains"
	gen -mode search "${common[@]}" "${users[@]}" -start-rate "$start_rate" -max-trials "$max_trials" -trial "$trial" | tee "$file-b-search.txt" | grep -E '^(trial|BUDGET)' || true
	budgets "$file-b-search.txt"
	echo "(c, d) PIN sign-ins and the classroom"
	gen -mode burst "${common[@]}" | tee "$file-cd-burst.txt" | grep '^BUDGET' || true
	budgets "$file-cd-burst.txt"
	echo "(e) checkout at low load"
	gen -mode checkout "${common[@]}" | tee "$file-e-checkout.txt" | grep '^BUDGET' || true
	budgets "$file-e-checkout.txt"
	echo "(f) 4 coordinators at once"
	gen -mode coord "${common[@]}" -coordinators 4 -duration "$dur" | tee "$file-f-coord.txt" | grep '^BUDGET' || true
	budgets "$file-f-coord.txt"
	local peak=0 p
	for p in ${pidlist//,/ }; do
		peak=$(awk -v a="$peak" -v b="$(hwm "$p")" 'BEGIN { print (b > a) ? b : a }')
		stop "$p"
	done
	say "  server memory over all of it | peak RSS (VmHWM) $peak MB | budget ≤ 100 MB | $(awk -v p="$peak" 'BEGIN { print (p <= 100) ? "met" : "NOT MET" }')"
}

# ---------------------------------------------------------------------------------------
echo "(g) start-up"
times=()
for _ in 1 2 3 4 5; do
	start "$db"
	times+=("$started_ms")
	stop "$server"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
say "  start-up on the $scale data set, all courses parsed, SQLite | ${times[*]} ms, median $median ms | budget ≤ 1 s | $([ "$median" -le 1000 ] && echo met || echo 'NOT MET')"

run_all sqlite SQLite "$db"

if [ -n "${CUNLU_BENCH_POSTGRES_URL:-}" ]; then
	pg_db=cunlu_countyday_$$
	psql -q "$CUNLU_BENCH_POSTGRES_URL" -c "CREATE DATABASE $pg_db" >/dev/null
	pg=$(sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\1/$pg_db#" <<<"$CUNLU_BENCH_POSTGRES_URL")
	echo "generating the ${PG_SCALE:-$scale} data set into PostgreSQL"
	keyfile=$work/postgresql.key # made by loadgen, shared by both instances
	"$work/cunlu" loadgen -scale "${PG_SCALE:-$scale}" -database-url "$pg" -key-file "$keyfile" 2>"$out/loadgen-postgresql.log" | tail -n 2 ||
		{ tail -c 2000 "$out/loadgen-postgresql.log"; exit 1; }
	run_all postgresql "PostgreSQL, two instances" "$pg" two
else
	say ""
	say "CUNLU_BENCH_POSTGRES_URL not set: PostgreSQL with two instances skipped."
fi
say ""
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "results: $out/"
