#!/usr/bin/env bash
# Coordinator pages, one build against another on the same machine state: each build's
# server runs on one core (GOMAXPROCS=1, taskset -c 0) on its own copy of a county
# database; for each page, 4 clients at once send N requests (default 200) to one server,
# then to the next, and the script prints p50/p95 per page and server, with the load
# average at the time. curl does the requests (from core 1), so only the server's time is
# measured (curl's time_total, connection included).
#
#   bash bench/coord_pages.sh NAME=BINARY=DATABASE [NAME=BINARY=DATABASE …]
#   N=200 C=4 bash bench/coord_pages.sh before=/tmp/cunlu-old=/tmp/a.db after=/tmp/cunlu=/tmp/b.db
#
# DATABASE is a SQLite file (with its .key beside it) or a postgres:// URL (then set
# CUNLU_KEY_FILE); each server migrates its own database on start, so never give two
# builds the same one. The county coordinator "loadcoord" / "load-test-pass" comes from
# "cunlu loadgen".
set -euo pipefail
n=${N:-200}
c=${C:-4}
pages=${PAGES:-"/coord /coord?region=2 /coord/matrix /coord/alerts /coord/questions /coord/partners/100 /coord/export.csv?table=overview /coord/export.csv?table=alerts"}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

names=()
declare -A base cookie
for spec in "$@"; do
	IFS='=' read -r name bin db <<<"$spec"
	port=$(freeport)
	GOMAXPROCS=1 taskset -c 0 "$bin" -database-url "$db" -addr "127.0.0.1:$port" -log-level warn >"$work/$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 600); do curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.05; done
	jar=$work/$name.jar
	csrf=$(curl -fs -c "$jar" -b "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
	code=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' -d "_csrf=$csrf&login=loadcoord&password=load-test-pass" "http://127.0.0.1:$port/login")
	[ "$code" = 303 ] || { echo "$name: sign-in answered $code"; cat "$work/$name.log"; exit 1; }
	names+=("$name")
	base[$name]="http://127.0.0.1:$port"
	cookie[$name]="cunlu_session=$(awk '$6 == "cunlu_session" { print $7 }' "$jar")"
done

# run NAME PATH: N requests, C at a time; prints "p50 p95 errors" in ms.
run() {
	local url=${base[$1]}$2 ck=${cookie[$1]}
	for _ in 1 2 3 4 5; do curl -s -o /dev/null -H "Cookie: $ck" -H 'Accept-Encoding: gzip' "$url"; done
	seq "$n" | taskset -c 1 xargs -P "$c" -I{} curl -s -o /dev/null -H "Cookie: $ck" -H 'Accept-Encoding: gzip' \
		-w '%{http_code} %{time_total}\n' "$url" >"$work/times"
	awk '$1 != 200 { bad++ } { print $2 * 1000 }' "$work/times" | sort -n >"$work/sorted"
	local errors
	errors=$(awk '$1 != 200' "$work/times" | wc -l)
	awk -v e="$errors" '{ a[NR] = $1 } END { printf "%.0f %.0f %d\n", a[int(NR * 0.50)], a[int(NR * 0.95)], e }' "$work/sorted"
}

printf '%s, %d requests per page, %d at once; %s\n' "$(date -u +%H:%M)" "$n" "$c" "$(uptime | sed 's/.*load/load/')"
printf '%-34s' page
for name in "${names[@]}"; do printf ' %16s' "$name p50/p95"; done
printf '\n'
for page in $pages; do
	printf '%-34s' "$page"
	for name in "${names[@]}"; do
		read -r p50 p95 errors < <(run "$name" "$page")
		cell="$p50 / $p95 ms"
		[ "$errors" = 0 ] || cell="$cell ($errors bad)"
		printf ' %16s' "$cell"
	done
	printf '\n'
done
printf 'load at the end: %s\n' "$(uptime | sed 's/.*load average: //')"
