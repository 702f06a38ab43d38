#!/usr/bin/env bash
# Every benchmark, in release builds; each prints its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p trengo-sim -p trengo-api -p desk-core --examples
echo "== simulator throughput"
cargo run --release --quiet -p trengo-sim --example throughput -- 5
echo "== request budget at 1,200/min (200 per 10 s), N = 600"
cargo run --release --quiet -p trengo-api --example budget_bench -- 200 10 600
echo "== cache: search over 100,000 cached tickets, ticket context"
cargo run --release --quiet -p desk-core --example cache_bench -- search
echo "== sync of the demo workspace at Trengo's real 120/min (about 30 s)"
cargo run --release --quiet -p desk-core --example cache_bench -- sync
echo "== the assignment watcher: detection latency at a 5 s poll, requests per poll"
cargo run --release --quiet -p desk-core --example watch_bench -- 5 12
echo "== bulk job: 1,000 tickets (30% already tagged, a colleague changing 5% meanwhile) at 1,200/min, 50 ms latency, a click every 2 s (about 2 min)"
cargo run --release --quiet -p desk-core --example bulk_bench -- 1000 200 10 50 0.3 0.05 2
echo "== bursts: small and large jobs against a plain loop at 120/min (15 s windows), clicks from this and from a second process (about 3 min)"
cargo run --release --quiet -p desk-core --example burst_bench -- 30 15 50
echo "== the contact index: 50,000 contacts at 1,200/min (about 2 min), then lookups by a field"
cargo run --release --quiet -p desk-core --example contacts_bench -- 200 10 20
echo "== enrichment: 1,000 pasted ids (800 matched), preview (lookups at 50 ms, concurrency 8), then apply at 1,200/min (about 3 min)"
cargo run --release --quiet -p desk-core --example enrich_bench -- 1000 800 200 10 50
echo "== internal notes in bulk: 600 at 1,200/min (N = 3 L, about 30 s), then 50 at 120/min against a plain loop"
cargo run --release --quiet -p desk-core --example notes_bench -- 600 200 10 50
echo "== rules: 20 rules previewed over 100,000 cached tickets, then a live rule from a customer's message to its tag (about 2 min)"
cargo run --release --quiet -p desk-core --example rules_bench -- all 2
echo "== a macro of 4 steps (tag, team, a note with the contact's name, close) over 300 tickets at 1,200/min: requests against N + N x k, wall time against the rate limit (about 75 s)"
cargo run --release --quiet -p desk-core --example macro_bench -- 300 200 10 50
echo "== the SLA radar: 100,000 cached tickets, 25,163 open, three policies (standings, next-breach order, views, counts, warnings; about 3 min)"
cargo run --release --quiet -p desk-core --example sla_bench -- 20
echo "== balanced assignment: 300 tickets arriving over 20 live passes (10 simulated minutes) in a team; requests per assignment and the spread of load (about 10 s)"
cargo run --release --quiet -p desk-core --example balance_bench -- 300 20
echo "== the background sync on the large seed (25,163 open tickets) at 120 a window of 1 s, 240 windows, in both modes (about 9 min)"
cargo run --release --quiet -p desk-core --example sync_bench -- 1 240 both
echo "== the app under Xvfb: cold start, memory after ten tickets, bundle size"
bash scripts/ui.sh
cargo build --quiet -p trengo-desk -p desk-e2e --examples
timeout 300 xvfb-run -a -s '-screen 0 1440x900x24' dbus-run-session -- \
  cargo run --quiet -p desk-e2e --example app_bench < /dev/null 2>&1 | grep -E '^(app|ui bundle):'
if [ -x target/release/trengo-desk ]; then
  echo "== the same, the release build (scripts/package.sh)"
  TRENGO_DESK_APP=target/release/trengo-desk timeout 300 xvfb-run -a -s '-screen 0 1440x900x24' dbus-run-session -- \
    cargo run --quiet -p desk-e2e --example app_bench < /dev/null 2>&1 | grep -E '^(app|ui bundle):'
fi
if [ "${BENCH_REAL_PACE:-0}" = 1 ]; then
  echo "== request budget at Trengo's real 120/min, one minute"
  cargo run --release --quiet -p trengo-api --example budget_bench -- 120 60 120
fi
