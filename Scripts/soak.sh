#!/usr/bin/env bash
# A long run under a small memory budget: hepscope listens on UDP with --memory-limit while
# recorded Kamailio HEP is replayed at a steady rate, every loop with new Call-IDs and a new
# correlation id (a new test session). Prints the listener's peak RSS and what it evicted.
#
#   Scripts/soak.sh [SECONDS=300] [RATE=5000] [LIMIT=64M] [CORRELATION=soak-%d]
#
# CORRELATION without %d keeps one correlation id for the whole run: one test session of hours,
# which the budget trims by its oldest calls instead of dropping sessions whole.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
rate=${2:-5000}
limit=${3:-64M}
correlation=${4:-soak-%d}
swift build -c release --product hepscope >/dev/null
bin=.build/release/hepscope
port=$((30000 + RANDOM % 20000))
out=$(mktemp)
/usr/bin/time -f "peak RSS %M KB, %e s, %U s user, %S s system" -o "$out.time" \
    "$bin" print --summary --memory-limit "$limit" --duration "$((seconds + 3))" "udp://127.0.0.1:$port" >"$out" &
listener=$!
sleep 1
"$bin" replay --rate "$rate" --seconds "$seconds" --loop 100000000 --unique-calls --rewrite-corr "$correlation" \
    Tests/Fixtures/kamailio/hep-raw-udp.bin "udp://127.0.0.1:$port"
# The spool file of live payloads (unlinked, so found through the listener's descriptors): what
# was written to it, and the disk space it takes after evictions gave some back.
pid=$(pgrep -n -f "hepscope print --summary --memory-limit $limit --duration" || true)
if [ -n "$pid" ]; then
    for fd in /proc/"$pid"/fd/*; do
        case "$(readlink "$fd")" in
            *hepscope-spool-*) stat -L -c "spool file: %s bytes written, %b blocks of %B bytes on disk" "$fd" ;;
        esac
    done
fi
wait "$listener"
grep -E "^source|^memory limit|^input" "$out"
echo "groups kept: $(grep -c "^${correlation%%%d*}" "$out")"
grep -m 3 -E "^${correlation%%%d*}" "$out" | cut -c1-120
cat "$out.time"
rm -f "$out" "$out.time"
