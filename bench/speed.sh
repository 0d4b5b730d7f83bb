#!/usr/bin/env bash
# Cunlu's speed suite (issue 9). After the README set-up, on a fresh Debian machine:
#
#   bash bench/speed.sh
#   PG_URL='postgres://cunlu:cunlu@127.0.0.1:5432/postgres?sslmode=disable' bash bench/speed.sh
#
# It builds the server and the load generator, generates the county data set (10,000
# partners, 30,000 villagers, 1,000,000 answers, 200,000 orders) and measures, on loopback:
#   1. start-up time with all courses parsed (median of 5 starts on the county database);
#   2. the signed-in lesson page at 64 connections with wrk, and nginx serving the very same
#      bytes as a static file in the same run (both gzip level 1), and the ratio (median of
#      three rounds, each Cunlu then nginx);
#   3. quiz submissions (database writes) at 64 connections as 64 partners, with errors,
#      and that every acknowledged submission is in the database;
#   4. practice-shop checkouts at 64 connections: 64 learners, then 64 connections of one
#      learner racing for one item's stock (the stock invariant is checked after);
#   5. the coordinator's county overview and difficult questions, p50/p95, 1 and 4 clients;
#   6. the server's memory (RSS now and peak) after all of it; CPU profiles (pprof) of 2 and 3;
#   7. how cost grows: the overview on a tenth of the county (partners ÷10);
#   8. with PG_URL (a database the script may create databases from): 3, 5 on PostgreSQL,
#      and two instances on one PostgreSQL behind nginx round-robin serving one signed-in
#      person on both.
# Results go to bench/out/ (summary.txt, raw outputs, profiles). Needs root for apt-get
# when wrk or nginx are missing. DURATION (default 10s) sets each measurement's length;
# COUNTY_DB=file copies a county SQLite database made earlier by "cunlu loadgen" instead of
# generating it again; PG_SCALE=tenth loads a tenth of the county into PostgreSQL (faster).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:$PATH"
root=$PWD
out=${OUT:-$root/bench/out}
dur=${DURATION:-10s}
mkdir -p "$out"
work=$(mktemp -d)
chmod 755 "$work" # nginx's workers read the static copy from here
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	cp "$work"/server-*.log "$out"/ 2>/dev/null || true # the servers' logs, to see what went wrong
	[ -n "${pg_db:-}" ] && psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
summary=$out/summary.txt
: >"$summary"
say() { printf '%s\n' "$*" | tee -a "$summary"; }
section() { printf '\n== %s\n' "$*" | tee -a "$summary"; }

for tool in wrk nginx curl python3; do
	if ! command -v "$tool" >/dev/null && ! [ -x "/usr/sbin/$tool" ]; then
		echo "installing $tool"
		apt-get update -qq && apt-get install -y -qq --no-install-recommends "$tool" >/dev/null
	fi
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# sql DB QUERY: one value from a SQLite file or a PostgreSQL URL.
sql() {
	case "$1" in
	postgres://* | postgresql://*) psql -At "$1" -c "$2" ;;
	*) python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$1" "$2" ;;
	esac
}

# start DB PORT [flags]: starts Cunlu, waits until it answers, sets $server.
start() {
	local db=$1 port=$2
	shift 2
	"$work/cunlu" -database-url "$db" -addr "127.0.0.1:$port" -log-level warn "$@" >>"$work/server-$port.log" 2>&1 &
	server=$!
	pids+=("$server")
	for _ in $(seq 1 1000); do
		curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
		kill -0 "$server" 2>/dev/null || break
		sleep 0.005
	done
	cat "$work/server-$port.log"
	echo "the server on port $port did not start" >&2
	exit 1
}
stop() { kill "$1" && wait "$1" 2>/dev/null || true; }
# mem PID: the server's resident memory now and its peak so far.
mem() { awk '/VmRSS/ { r = $2 } /VmHWM/ { h = $2 } END { printf "RSS %.1f MB, peak %.1f MB", r/1024, h/1024 }' "/proc/$1/status"; }

# signin PORT LOGIN PASSWORD: prints the Cookie header of a new session.
signin() {
	local jar csrf code
	jar=$(mktemp -p "$work")
	csrf=$(curl -fs -c "$jar" -b "$jar" "http://127.0.0.1:$1/login" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
	code=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' --data-urlencode "_csrf=$csrf" --data-urlencode "login=$2" --data-urlencode "password=$3" "http://127.0.0.1:$1/login")
	[ "$code" = 303 ] || { echo "sign-in of $2 answered $code" >&2; exit 1; }
	awk '$6 ~ /cunlu_session$/ { printf "%s=%s\n", $6, $7 }' "$jar"
}

# signin_range PORT FIRST LAST FILE: signs in county partners lpFIRST … lpLAST, one Cookie
# header per line in FILE.
signin_range() {
	: >"$4"
	for i in $(seq "$2" "$3"); do
		signin "$1" "$(printf 'lp%05d' "$i")" load-test-pass >>"$4"
	done
}

# quizform PORT: the lesson's quiz answered with each question's first option, as a form.
quizform() {
	curl -fs -H "Cookie: $partner" "http://127.0.0.1:$1$lesson" |
		grep -o 'type="\(radio\|checkbox\)" name="q[^"]*" value="[^"]*"' |
		sed 's/.*name="\([^"]*\)" value="\([^"]*\)"/\1=\2/' | awk -F= '!seen[$1]++' | paste -sd'&'
}

# wrkrun URL COOKIE [ENCODING]: requests/s, p50 and p99 at 64 connections.
wrkrun() {
	local args=(-t2 -c64 -d"$dur" --latency -H "Accept-Encoding: ${3:-gzip}")
	[ -n "$2" ] && args+=(-H "Cookie: $2")
	wrk "${args[@]}" "$1" >"$work/wrk.txt"
	cat "$work/wrk.txt" >>"$out/wrk-raw.txt"
	local rps p50 p99 non2xx
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$work/wrk.txt")
	p50=$(awk '$1 == "50%" { print $2 }' "$work/wrk.txt")
	p99=$(awk '$1 == "99%" { print $2 }' "$work/wrk.txt")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$work/wrk.txt")
	echo "$rps $p50 $p99 ${non2xx:-0}"
}

echo "building"
go build -o "$work/cunlu" .
go build -o "$work/httpbench" ./bench/httpbench
bench() { "$work/httpbench" "$@" | tee -a "$summary"; }

section "machine"
say "$(date -u '+%Y-%m-%d %H:%M UTC'); $(uname -sm); $(nproc) cores; $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo); load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "$(go version); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); $("$nginx_bin" -v 2>&1)"

section "data set (SQLite)"
county=$work/county.db
t0=$(ms)
if [ -n "${COUNTY_DB:-}" ]; then
	# A copy of a database generated earlier by "cunlu loadgen" (saves 40 s when iterating).
	cp "$COUNTY_DB" "$county"
	say "copied from $COUNTY_DB"
else
	"$work/cunlu" loadgen -database-url "$county" | tail -n 3 | tee -a "$summary"
	say "generated in $((($(ms) - t0) / 1000)) s"
fi

# ---------------------------------------------------------------------------------------
section "1. start-up, all courses parsed (county database)"
port=$(freeport)
times=()
for i in 1 2 3 4 5; do
	t0=$(ms)
	start "$county" "$port"
	times+=($(($(ms) - t0)))
	stop "$server"
done
say "start to first answer: ${times[*]} ms; median $(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p) ms (budget 1000 ms)"

pprof_port=$(freeport)
start "$county" "$port" -pprof "127.0.0.1:$pprof_port"
app=$server
base="http://127.0.0.1:$port"

# 64 partners of the county, each signed in once.
signin_range "$port" 1 64 "$work/partners.cookies"
partner=$(head -1 "$work/partners.cookies")
# A browser sends its CSRF cookie with every page too (without one, each page would start
# a new CSRF token and set a cookie: not what a signed-in person's pages cost).
browser="$partner; _csrf=benchcsrftoken0000"
say "after 64 sign-ins: $(mem "$app")"

# ---------------------------------------------------------------------------------------
section "2. signed-in lesson page vs nginx serving the same bytes (64 connections, wrk)"
lesson=/courses/buying-online/how-online-shopping-works
mkdir -p "$work/www"
curl -fs -H "Cookie: $browser" "$base$lesson" -o "$work/www/lesson.html"
grep -q 'form method="post" action="/logout"' "$work/www/lesson.html" || { echo "the lesson page is not signed in"; exit 1; }
nport=$(freeport)
cat >"$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	default_type text/html;
	gzip on; gzip_comp_level 1; gzip_min_length 512;
	server { listen 127.0.0.1:$nport; root $work/www; }
}
EOF
"$nginx_bin" -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$nport/lesson.html" && break; sleep 0.05; done
cmp <(curl -fs "http://127.0.0.1:$nport/lesson.html") "$work/www/lesson.html"
# Cunlu's gzip (a stencil's ready blocks) must be the very page too.
cmp <(curl -fs -H 'Accept-Encoding: gzip' -H "Cookie: $browser" "$base$lesson" | gunzip) "$work/www/lesson.html"
say "page: $lesson, $(wc -c <"$work/www/lesson.html") bytes; gzipped: Cunlu $(curl -fs -H 'Accept-Encoding: gzip' -H "Cookie: $browser" "$base$lesson" | wc -c), nginx $(curl -fs -H 'Accept-Encoding: gzip' "http://127.0.0.1:$nport/lesson.html" | wc -c)"
# Three rounds, each Cunlu then nginx: the machine's other load moves both, so each
# round's ratio is the figure and the median of the three is reported.
ratios=()
for round in 1 2 3; do
	if [ "$round" = 1 ]; then
		curl -fs -o "$out/lesson-cpu.pprof" "http://127.0.0.1:$pprof_port/debug/pprof/profile?seconds=5" &
		prof=$!
	fi
	read -r a_rps a_p50 a_p99 a_bad < <(wrkrun "$base$lesson" "$browser")
	[ "$round" = 1 ] && wait "$prof"
	read -r n_rps n_p50 n_p99 n_bad < <(wrkrun "http://127.0.0.1:$nport/lesson.html" "")
	ratio=$(python3 -c "print(f'{$a_rps/$n_rps:.2f}')")
	ratios+=("$ratio")
	say "round $round: Cunlu lesson page $a_rps req/s (p50 $a_p50, p99 $a_p99, non-2xx $a_bad); nginx same bytes $n_rps req/s (p50 $n_p50, p99 $n_p99, non-2xx $n_bad): ratio $ratio"
done
say "ratio Cunlu/nginx, median of 3 rounds: $(printf '%s\n' "${ratios[@]}" | sort -n | sed -n 2p) (budget >= 0.5); memory: $(mem "$app")"
read -r a_rps a_p50 a_p99 a_bad < <(wrkrun "$base$lesson" "$browser" identity)
read -r n_rps n_p50 n_p99 n_bad < <(wrkrun "http://127.0.0.1:$nport/lesson.html" "" identity)
say "uncompressed: Cunlu $a_rps req/s (p50 $a_p50, p99 $a_p99), nginx $n_rps req/s (p50 $n_p50, p99 $n_p99): ratio $(python3 -c "print(f'{$a_rps/$n_rps:.2f}')")"

# ---------------------------------------------------------------------------------------
# quiz DB PORT LABEL: quiz submissions by the 64 partners, and the acknowledged ones counted
# in the database.
quiz() {
	local db=$1 port=$2 label=$3 form before after acked
	form=$(quizform "$port")
	[ -n "$form" ] || { echo "no quiz form on $lesson"; exit 1; }
	before=$(sql "$db" "SELECT COUNT(*) FROM quiz_attempts")
	"$work/httpbench" -url "http://127.0.0.1:$port$lesson/quiz" -cookies "$work/partners.cookies" -csrf benchcsrftoken0000 \
		-post "key=bench-$label-{n}-0000000&$form" -c 64 -d "$dur" -warm 0 | tee -a "$summary" | tee "$work/quiz.txt"
	after=$(sql "$db" "SELECT COUNT(*) FROM quiz_attempts")
	acked=$(grep -o '303:[0-9]*' "$work/quiz.txt" | cut -d: -f2)
	say "acknowledged (303) $acked; attempts stored $((after - before))"
	[ "$acked" = "$((after - before))" ] || say "MISMATCH: acknowledged and stored differ"
}
section "3. quiz submissions, 64 connections, 64 partners (SQLite)"
curl -fs -o "$out/quiz-cpu.pprof" "http://127.0.0.1:$pprof_port/debug/pprof/profile?seconds=5" &
prof=$!
quiz "$county" "$port" sqlite
wait "$prof"
say "memory: $(mem "$app")"

# ---------------------------------------------------------------------------------------
# checkout PORT COOKIES PRODUCT LABEL: add one to the cart, then check out (pickup, cash).
checkout() {
	"$work/httpbench" -url "http://127.0.0.1:$1/shop/checkout" -cookies "$2" -csrf benchcsrftoken0000 \
		-pre-url "http://127.0.0.1:$1/shop/cart" -pre-post "product_id=$3&qty=1" \
		-post "key=bench-$4-{n}-00000000&delivery=pickup&payment=cash" -c 64 -d "$dur" -warm 0 | tee -a "$summary"
}
section "4. practice-shop checkouts (add to cart + check out), 64 connections (SQLite)"
product=$(sql "$county" "SELECT id FROM shop_products WHERE active AND pickup AND scam_id = '' ORDER BY stock DESC, id LIMIT 1")
say "64 learners, each buying product $product:"
checkout "$port" "$work/partners.cookies" "$product" many
head -1 "$work/partners.cookies" >"$work/one.cookies"
uid=$(sql "$county" "SELECT id FROM users WHERE login = 'lp00001'")
stock0=$(sql "$county" "SELECT stock FROM shop_products WHERE id = $product")
say "one learner on 64 connections racing for the same item (catalogue stock $stock0):"
checkout "$port" "$work/one.cookies" "$product" one
left=$(sql "$county" "SELECT COALESCE((SELECT stock FROM sandbox_stock WHERE user_id = $uid AND product_id = $product), $stock0)")
sold=$(sql "$county" "SELECT COALESCE(SUM(i.qty), 0) FROM sandbox_order_items i JOIN sandbox_orders o ON o.id = i.order_id WHERE o.user_id = $uid AND i.product_id = $product")
say "stock invariant: sold $sold + left $left = $((sold + left)) (catalogue stock $stock0)"
[ "$((sold + left))" = "$stock0" ] && [ "$left" -ge 0 ] || say "STOCK INVARIANT BROKEN"
say "memory: $(mem "$app")"

# ---------------------------------------------------------------------------------------
section "5. coordinator pages, county data set (SQLite)"
coord=$(signin "$port" loadcoord load-test-pass)
for path in /coord /coord/questions; do
	for c in 1 4; do bench -url "$base$path" -cookie "$coord" -c "$c" -d "$dur"; done
done

# ---------------------------------------------------------------------------------------
section "6. memory after the load (SQLite server)"
say "$(mem "$app") (budget 100 MB)"
stop "$app"
for p in lesson quiz; do
	go tool pprof -top -nodecount=25 "$work/cunlu" "$out/$p-cpu.pprof" >"$out/$p-cpu.txt" 2>/dev/null || true
done
say "CPU profiles: bench/out/lesson-cpu.txt, bench/out/quiz-cpu.txt (go tool pprof -top)"

# ---------------------------------------------------------------------------------------
section "7. cost growth: the overview on a tenth of the county (1,000 partners, 100,000 answers)"
tenth=$work/tenth.db
"$work/cunlu" loadgen -scale tenth -database-url "$tenth" >/dev/null
start "$tenth" "$port"
coord=$(signin "$port" loadcoord load-test-pass)
for path in /coord /coord/questions; do bench -url "$base$path" -cookie "$coord" -c 1 -d "$dur"; done
stop "$server"

# ---------------------------------------------------------------------------------------
if [ -z "${PG_URL:-}" ]; then
	say ""
	say "PG_URL not set: PostgreSQL and two-instance steps skipped."
	exit 0
fi
case "${PG_SCALE:-county}" in
county | tenth) ;;
*) echo "PG_SCALE must be county or tenth (the steps sign in 128 partners)" >&2; exit 2 ;;
esac
pg_db=cunlu_bench_$$
psql -q "$PG_URL" -c "CREATE DATABASE $pg_db" >/dev/null
pg=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$PG_URL" "$pg_db")

section "data set (PostgreSQL)"
t0=$(ms)
"$work/cunlu" loadgen -scale "${PG_SCALE:-county}" -database-url "$pg" | tail -n 1 | tee -a "$summary"
say "generated in $((($(ms) - t0) / 1000)) s"
start "$pg" "$port"
app=$server
signin_range "$port" 1 64 "$work/partners.cookies"
partner=$(head -1 "$work/partners.cookies")

section "3. quiz submissions, 64 connections, 64 partners (PostgreSQL)"
quiz "$pg" "$port" pg
section "5. coordinator pages, county data set (PostgreSQL)"
coord=$(signin "$port" loadcoord load-test-pass)
for path in /coord /coord/questions; do
	for c in 1 4; do bench -url "$base$path" -cookie "$coord" -c "$c" -d "$dur"; done
done
say "$(mem "$app")"

# ---------------------------------------------------------------------------------------
section "8. two instances on one PostgreSQL behind nginx round-robin (no sticky sessions)"
port2=$(freeport)
start "$pg" "$port2"
lb=$(freeport)
cat >"$work/lb.conf" <<EOF
worker_processes 1;
pid $work/lb.pid;
error_log $work/lb-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	upstream cunlu { server 127.0.0.1:$port; server 127.0.0.1:$port2; keepalive 64; }
	server {
		listen 127.0.0.1:$lb;
		location / {
			proxy_pass http://cunlu;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$host;
			add_header X-Upstream \$upstream_addr always;
		}
	}
}
EOF
"$nginx_bin" -p "$work" -c "$work/lb.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$lb/healthz" && break; sleep 0.05; done
# One person signs in through the balancer (the sign-in lands on one instance) ...
person=$(signin "$lb" lp00001 load-test-pass)
# ... and then every page and a state change, on whichever instance answers.
ok=0 served=()
for i in $(seq 1 20); do
	hdr=$(curl -s -o "$work/page.html" -D - -H "Cookie: $person" "http://127.0.0.1:$lb/courses")
	up=$(grep -i '^x-upstream:' <<<"$hdr" | tr -d '\r' | awk '{ print $2 }')
	served+=("$up")
	grep -q '^HTTP/1.1 200' <<<"$hdr" && grep -q 'action="/logout"' "$work/page.html" && ok=$((ok + 1))
done
instances=$(printf '%s\n' "${served[@]}" | sort -u | wc -l)
say "20 signed-in page views through nginx: $ok answered signed in, by $instances instances ($(printf '%s\n' "${served[@]}" | sort | uniq -c | awk '{ printf "%s×%s ", $2, $1 }'))"
[ "$ok" = 20 ] && [ "$instances" = 2 ] || { say "TWO-INSTANCE CHECK FAILED"; exit 1; }
say "quiz submissions through nginx to both instances, 64 connections, 64 partners:"
signin_range "$lb" 65 128 "$work/lb.cookies"
before=$(sql "$pg" "SELECT COUNT(*) FROM quiz_attempts")
form=$(quizform "$port")
"$work/httpbench" -url "http://127.0.0.1:$lb$lesson/quiz" -cookies "$work/lb.cookies" -csrf benchcsrftoken0000 \
	-post "key=bench-lb-{n}-0000000&$form" -c 64 -d "$dur" -warm 0 | tee -a "$summary" | tee "$work/quiz.txt"
after=$(sql "$pg" "SELECT COUNT(*) FROM quiz_attempts")
say "acknowledged (303) $(grep -o '303:[0-9]*' "$work/quiz.txt" | cut -d: -f2); attempts stored $((after - before))"
