#!/usr/bin/env bash
# Coordinator pages at county scale: generates the county data set (10,000 partners,
# 30,000 villagers, 1,000,000 quiz answers, 200,000 practice-shop orders), starts Cunlu on
# it, signs in as the county coordinator and measures the county overview and the
# difficult-questions page with bench/httpbench, one client and four at a time.
#
#   bash bench/coord.sh                       # SQLite, in a temporary folder
#   DATABASE_URL=postgres://… bash bench/coord.sh   # PostgreSQL (an empty database)
#
# Everything runs on loopback and stops by itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="/usr/local/go/bin:$PATH"
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
db=${DATABASE_URL:-$work/county.db}
# A free port, so a server left running elsewhere cannot answer in our place.
port=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
dur=${DURATION:-20s}

go build -o "$work/cunlu" .
go build -o "$work/httpbench" ./bench/httpbench
echo "== generating the county data set"
"$work/cunlu" loadgen -database-url "$db"
"$work/cunlu" -database-url "$db" -addr "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
jar=$work/cookies
csrf=$(curl -fs -c "$jar" -b "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
code=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{http_code}' -d "_csrf=$csrf&login=loadcoord&password=load-test-pass" "http://127.0.0.1:$port/login")
[ "$code" = 303 ] || { echo "sign-in answered $code"; cat "$work/server.log"; exit 1; }
session=$(awk '$6 == "cunlu_session" { print $7 }' "$jar")
[ -n "$session" ] || { echo "sign-in failed"; exit 1; }
echo "== $(uname -m), $(nproc) cores, database: ${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-SQLite}"
for path in /coord /coord/questions /coord/alerts /coord/matrix; do
	for c in 1 4; do
		"$work/httpbench" -url "http://127.0.0.1:$port$path" -cookie "cunlu_session=$session" -c "$c" -d "$dur"
	done
done
