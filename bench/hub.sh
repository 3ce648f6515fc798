#!/usr/bin/env bash
# Hub benchmarks (issue 6):
#   1. ingest throughput (acknowledged records/s) into the embedded store (SQLite), into
#      PostgreSQL, and through NATS JetStream (hub acknowledgement, then worker drain into
#      PostgreSQL);
#   2. dashboard and API latency (p50/p95) with 1,000,000 runs over 90 days (30-day windows);
#   3. SIGKILL of the hub in the middle of a sustained ingest (embedded, and PostgreSQL+NATS),
#      and of a worker mid-drain: acknowledged records missing afterwards (must be 0).
#
# Usage: bench/hub.sh [ingest|dashboard|sigkill ...]   (default: all three)
# Needs the local PostgreSQL (127.0.0.1:5432, trust) and NATS JetStream (127.0.0.1:4222).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out/hub
mkdir -p "$OUT"
cargo build --release --locked -q -p ci-intel -p ci-intel-bench
B=$ROOT/target/release
PG_ADMIN=postgres://postgres@127.0.0.1:5432/test
PG=postgres://postgres@127.0.0.1:5432/ci_intel_bench
NATS=nats://127.0.0.1:4222
PORT=18390
HUB_PID=
# JetStream drops a record identical to one it took in the last two minutes (Nats-Msg-Id), even
# if that one went to another database: every run of this script uses streams of its own.
RUN=$(date +%s)

fresh_pg() {
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS ci_intel_bench" -c "CREATE DATABASE ci_intel_bench"
}

# start_hub DATABASE_URL [hub options…]: waits for the line the hub prints once it listens.
start_hub() {
    local db=$1; shift
    PORT=$((PORT + 1))
    : > "$OUT/hub.out"
    "$B/ci-intel" hub --listen "127.0.0.1:$PORT" --database-url "$db" "$@" > "$OUT/hub.out" 2> "$OUT/hub-$PORT.log" &
    HUB_PID=$!
    until grep -q listening "$OUT/hub.out"; do sleep 0.1; done
    URL=http://127.0.0.1:$PORT
}

stop_hub() { kill -TERM "$HUB_PID" 2>/dev/null || true; wait "$HUB_PID" 2>/dev/null || true; }

token() { "$B/ci-intel" hub token create --database-url "$1" --repo '*' --scope ingest 2>/dev/null; }

# ingest_runs DATABASE_URL: three runs of 100,000 records of live traffic (today's runs), then
# three of a backfill spread over 90 days.
ingest_runs() {
    local t; t=$(token "$1")
    for days in 1 90; do
        for k in 1 2 3; do
            "$B/hub-load" ingest --url "$URL" --token "$t" --records 100000 --batch 500 --concurrency 8 \
                --days "$days" --offset $((days * 10000000 + k * 1000000))
        done
    done
}

ingest() {
    echo "== ingest: embedded SQLite"
    rm -f "$OUT"/ingest.db*
    start_hub "sqlite://$OUT/ingest.db"
    ingest_runs "sqlite://$OUT/ingest.db"
    stop_hub

    echo "== ingest: PostgreSQL"
    fresh_pg
    start_hub "$PG"
    ingest_runs "$PG"
    stop_hub

    echo "== ingest: PostgreSQL + NATS JetStream (the hub answers once JetStream stored the records)"
    fresh_pg
    start_hub "$PG" --nats-url "$NATS" --nats-prefix "bench$RUN" --workers 0
    ingest_runs "$PG"
    stop_hub
    echo "-- two workers drain the queue into PostgreSQL"
    local t0; t0=$(date +%s.%N)
    "$B/ci-intel" hub worker --database-url "$PG" --nats-url "$NATS" --nats-prefix "bench$RUN" --batch 1000 --until-idle 2>&1 | tail -1 &
    "$B/ci-intel" hub worker --database-url "$PG" --nats-url "$NATS" --nats-prefix "bench$RUN" --batch 1000 --until-idle 2>&1 | tail -1
    wait
    python3 -c "import sys,time; t=time.time()-float(sys.argv[1]); print(f'drained 600000 records in {t:.1f} s: {600000/t:.0f} records/s')" "$t0"
}

dashboard() {
    echo "== dashboard: 1,000,000 runs over 90 days (SQLite)"
    if [ ! -f "$OUT/million.db" ]; then
        "$B/hub-load" fill --database-url "sqlite://$OUT/million.db" --runs 1000000 --days 90
    fi
    start_hub "sqlite://$OUT/million.db"
    local paths=(/ /api/v1/overview "/api/v1/overview?repo=bench/repo-07" /dora /api/v1/dora
        "/repos/bench/repo-07" "/api/v1/runs?repo=bench/repo-07&limit=100"
        "/flaky?repo=bench/repo-07" "/api/v1/flaky?repo=bench/repo-07" "/api/v1/timings?repo=bench/repo-07"
        /resilience /cost /api/v1/cost)
    "$B/hub-load" query --url "$URL" --rounds 40 "${paths[@]}"
    stop_hub
    echo "-- the same while 8 connections ingest live traffic (load generator on the same 2 cores),"
    echo "   on a copy, so the 1,000,000-run database stays as it is for the next run"
    for f in "$OUT"/million.db*; do cp "$f" "${f/million.db/million-load.db}"; done
    start_hub "sqlite://$OUT/million-load.db"
    local t; t=$(token "sqlite://$OUT/million-load.db")
    "$B/hub-load" ingest --url "$URL" --token "$t" --records 0 --batch 500 --concurrency 8 --offset $((RUN * 1000000)) &
    local load=$!
    sleep 2
    "$B/hub-load" query --url "$URL" --rounds 40 "${paths[@]}"
    stop_hub
    wait "$load" || true
    rm -f "$OUT"/million-load.db*
}

# kill_test LABEL DATABASE_URL [hub options…]: 4 s of sustained ingest, then SIGKILL.
kill_test() {
    local label=$1 db=$2; shift 2
    start_hub "$db" "$@"
    local t; t=$(token "$db")
    rm -f "$OUT/acked-$label.txt"
    "$B/hub-load" ingest --url "$URL" --token "$t" --records 0 --batch 200 --concurrency 8 --acked "$OUT/acked-$label.txt" 2>/dev/null &
    local load=$!
    sleep 4
    kill -KILL "$HUB_PID"
    wait "$load" || true
    wait "$HUB_PID" 2>/dev/null || true
}

sigkill() {
    echo "== SIGKILL: embedded SQLite"
    rm -f "$OUT"/kill.db*
    kill_test sqlite "sqlite://$OUT/kill.db"
    "$B/hub-load" verify --database-url "sqlite://$OUT/kill.db" --acked "$OUT/acked-sqlite.txt"

    echo "== SIGKILL: PostgreSQL + NATS (hub with one in-process worker)"
    fresh_pg
    kill_test nats "$PG" --nats-url "$NATS" --nats-prefix "benchkill$RUN" --workers 1
    echo "-- a worker is SIGKILLed mid-drain"
    "$B/ci-intel" hub worker --database-url "$PG" --nats-url "$NATS" --nats-prefix "benchkill$RUN" --batch 500 2>/dev/null &
    local w=$!
    sleep 1
    kill -KILL "$w"; wait "$w" 2>/dev/null || true
    echo "-- JetStream redelivers what the killed worker had not acknowledged (ack wait 30 s)"
    sleep 31
    "$B/ci-intel" hub worker --database-url "$PG" --nats-url "$NATS" --nats-prefix "benchkill$RUN" --batch 1000 --until-idle 2>&1 | tail -1
    "$B/hub-load" verify --database-url "$PG" --acked "$OUT/acked-nats.txt"
}

uptime
for step in "${@:-ingest dashboard sigkill}"; do
    for s in $step; do "$s"; done
done
