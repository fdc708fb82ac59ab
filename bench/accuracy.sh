#!/usr/bin/env bash
# Accuracy on the evaluation kit's dev splits: builds the kit's world, serves the simulator (zero latency, limits
# off), starts refverify against it with an empty cache, runs and scores each split. Prints the kit's score tables.
#
#   bench/accuracy.sh [SPLIT ...]        default: hallmark_dev_public glutton_dev crossref_dev
#
# Needs ../shared/eval (the kit) beside this repository and `make install` done. Outputs go to bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=${KIT:-../shared/eval}
OUT=bench/out
SIM_PORT=${SIM_PORT:-8800}
SVC_PORT=${SVC_PORT:-8000}
mkdir -p "$OUT"
splits=("$@")
[ ${#splits[@]} -gt 0 ] || splits=(hallmark_dev_public glutton_dev crossref_dev)

world="$OUT/refsim-world.sqlite"
[ -f "$world" ] || (cd "$KIT" && python3 -m refsim build --out "$OLDPWD/$world")
(cd "$KIT" && exec python3 -m refsim serve --db "$OLDPWD/$world" --port "$SIM_PORT" --latency zero --limits off) \
    > "$OUT/sim.log" 2>&1 &
sim=$!
trap 'kill $sim ${svc:-} 2>/dev/null || true' EXIT
eval "$(cd "$KIT" && python3 -m refsim env --port "$SIM_PORT")"
rm -f "$OUT/cache.sqlite"*
# The simulator serves the scholarly APIs and Open Library; the news, book and web sources it lacks are left out.
REFVERIFY_THROTTLE=false REFVERIFY_CACHE_URL="sqlite:///$OUT/cache.sqlite" \
REFVERIFY_DISABLED_SOURCES=google_books,guardian,nyt,wikipedia,wayback,web \
    .venv/bin/refverify serve --port "$SVC_PORT" > "$OUT/service.log" 2>&1 &
svc=$!
for _ in $(seq 60); do curl -sf "localhost:$SVC_PORT/healthz" >/dev/null && break; sleep 1; done
for split in "${splits[@]}"; do
    (cd "$KIT" && python3 -m refsim run --split "$split" --service "http://127.0.0.1:$SVC_PORT" \
        --out "$OLDPWD/$OUT/$split.jsonl" --sim "http://127.0.0.1:$SIM_PORT" >/dev/null)
    (cd "$KIT" && python3 -m refsim score --split "$split" "$OLDPWD/$OUT/$split.jsonl") | tee "$OUT/$split.score.txt"
done
