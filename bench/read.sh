#!/usr/bin/env bash
# Dataset read benchmark: curl, the C ABI iterator, the Rust SDK and (if installed) the official
# Python client read the same dataset from a local apify-emulator.
#
#   bash bench/read.sh [N] [N2] [N3]     (defaults 1000000, 200000 and 100000)
#
# Case A (throughput): N items (~130 bytes each), pages of 10,000 items, and at defaults.
# Case B (latency-bound): N2 items, every items request delayed 25 ms by an emulator fault,
# every client at its defaults.
# Case C (memory at defaults, against case A's): N3 items.
# The official async Rust client (crate apify-client) runs when APIFY_BENCH_ASYNC_RUST names a
# binary built from it (see README "Benchmarks"; nothing of it is in this repository).
# Prints one line per client and case: wall and CPU (user+sys) seconds, peak RSS, items
# requests made (from the emulator's journal). Each reader's item count is checked.
set -euo pipefail

N=${1:-1000000}
N2=${2:-200000}
N3=${3:-100000}
CHUNK=10000
cd "$(dirname "$0")/.."
ROOT=$PWD
REL=${CARGO_TARGET_DIR:-$ROOT/target}/release
WORK=$(mktemp -d)
EMU_PID=
cleanup() {
    [[ -n $EMU_PID ]] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
# Everything stays on 127.0.0.1.
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
unset HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy

echo "== building (release)" >&2
cargo build --release --features emulator --lib --bins --example bench_read >&2
VIEW_FLAG=
if grep -q 'apify_dataset_iter_next_view' include/apify.h; then
    VIEW_FLAG=-DAPIFY_HAS_ITER_VIEW
fi
# The C library as users get it: installed (release, stripped) into a prefix of the work folder.
PREFIX="$WORK/prefix" sh scripts/install.sh >&2
cc -O2 -std=c99 -Wall -I"$WORK/prefix/include" $VIEW_FLAG bench/read_items.c -o "$WORK/read_items" \
    -L"$WORK/prefix/lib" -lapify -Wl,-rpath,"$WORK/prefix/lib"
HAS_PY=
if python3 -c 'import apify_client' 2>/dev/null; then
    HAS_PY=1
fi
ASYNC_RUST=${APIFY_BENCH_ASYNC_RUST:-}
if [[ -n $ASYNC_RUST && ! -x $ASYNC_RUST ]]; then
    echo "APIFY_BENCH_ASYNC_RUST=$ASYNC_RUST is not an executable" >&2
    exit 2
fi

echo "== starting the emulator" >&2
mkfifo "$WORK/emu.fifo"
"$REL/apify-emulator" --listen 127.0.0.1:0 >"$WORK/emu.fifo" 2>"$WORK/emu.err" &
EMU_PID=$!
exec 3<"$WORK/emu.fifo"
read -r line1 <&3
read -r line2 <&3
export APIFY_API_BASE_URL=${line1#APIFY_API_BASE_URL=}
export APIFY_TOKEN=${line2#APIFY_TOKEN=}
# Keep reading the emulator's stdout so it never blocks on a full pipe.
cat <&3 >/dev/null &
exec 3<&-

api() { # METHOD PATH [BODY]
    curl -sS --fail --noproxy '*' -H "Authorization: Bearer $APIFY_TOKEN" \
        -H 'Content-Type: application/json' -X "$1" "$APIFY_API_BASE_URL$2" ${3:+--data "$3"}
}
dataset_id() { python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])'; }
list_len() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))'; }

make_dataset() { # N -> id
    local id
    id=$(api POST /v2/datasets | dataset_id)
    local t0=$SECONDS
    python3 bench/push_items.py "$APIFY_API_BASE_URL" "$APIFY_TOKEN" "$id" "$1"
    echo "   pushed $1 items into $id in $((SECONDS - t0)) s" >&2
    echo "$id"
}

ROWS=()
RUNS=${APIFY_BENCH_RUNS:-1}
run() { # CASE EXPECTED NAME COMMAND...
    local case=$1 expected=$2 name=$3
    shift 3
    echo "   $case $name" >&2
    local i count requests wall user sys rss
    : >"$WORK/times"
    for ((i = 0; i < RUNS; i++)); do
        api DELETE /_emulator/requests >/dev/null
        if ! /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err"; then
            cat "$WORK/err" >&2
            echo "FAILED: $case $name" >&2
            exit 1
        fi
        count=$(tail -n 1 "$WORK/out")
        if [[ $count != "$expected" ]]; then
            echo "FAILED: $case $name read $count items, expected $expected" >&2
            exit 1
        fi
        requests=$(api GET '/_emulator/requests?path=/v2/datasets/*/items&method=GET' | list_len)
        read -r wall user sys rss <"$WORK/time"
        echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $rss" >>"$WORK/times"
    done
    # With several runs: the median wall and CPU, the largest RSS.
    wall=$(cut -d' ' -f1 "$WORK/times" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    cpu=$(cut -d' ' -f2 "$WORK/times" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    rss=$(cut -d' ' -f3 "$WORK/times" | sort -g | tail -n 1)
    ROWS+=("$(awk -v c="$case" -v n="$name" -v k="$count" -v w="$wall" -v t="$cpu" \
        -v m="$rss" -v r="$requests" \
        'BEGIN { printf "%-2s %-28s %9s %8.2f %8.2f %9.1f %9s", c, n, k, w, t, m / 1024, r }')")
}

echo "== case A: $N items, pages of $CHUNK" >&2
A=$(make_dataset "$N")
run A "$N" "curl pages $CHUNK" bash bench/curl_read.sh pages "$A" $CHUNK
run A "$N" "curl single request" bash bench/curl_read.sh full "$A"
run A "$N" "C iter_next (copy)" "$WORK/read_items" "$A" $CHUNK
if [[ -n $VIEW_FLAG ]]; then
    run A "$N" "C iter_next_view" "$WORK/read_items" "$A" $CHUNK --view
fi
run A "$N" "C iter_next (defaults)" "$WORK/read_items" "$A"
if [[ -n $VIEW_FLAG ]]; then
    run A "$N" "C iter_next_view (defaults)" "$WORK/read_items" "$A" 0 --view
fi
run A "$N" "Rust RawItem (defaults)" "$REL/examples/bench_read" "$A" raw
run A "$N" "Rust iter_items Value" "$REL/examples/bench_read" "$A" typed $CHUNK
run A "$N" "Rust iter_items RawItem" "$REL/examples/bench_read" "$A" raw $CHUNK
run A "$N" "Rust read_raw_items (lent)" "$REL/examples/bench_read" "$A" lent $CHUNK
if [[ -n $HAS_PY ]]; then
    run A "$N" "Python iterate_items default" python3 bench/read_python.py "$A"
    run A "$N" "Python iterate_items $CHUNK" python3 bench/read_python.py "$A" $CHUNK
fi
if [[ -n $ASYNC_RUST ]]; then
    run A "$N" "async Rust iterate_items $CHUNK" "$ASYNC_RUST" "$A" $CHUNK
fi

echo "== case B: $N2 items, 25 ms per items request, defaults" >&2
B=$(make_dataset "$N2")
api POST /_emulator/faults \
    '{"method":"GET","path":"/v2/datasets/*/items","times":100000,"action":{"kind":"delay","ms":25}}' \
    >/dev/null
run B "$N2" "curl single request" bash bench/curl_read.sh full "$B"
run B "$N2" "C iter_next (copy)" "$WORK/read_items" "$B"
if [[ -n $VIEW_FLAG ]]; then
    run B "$N2" "C iter_next_view" "$WORK/read_items" "$B" 0 --view
fi
run B "$N2" "Rust iter_items Value" "$REL/examples/bench_read" "$B" typed
run B "$N2" "Rust iter_items RawItem" "$REL/examples/bench_read" "$B" raw
if [[ -n $HAS_PY ]]; then
    run B "$N2" "Python iterate_items default" python3 bench/read_python.py "$B"
fi
if [[ -n $ASYNC_RUST ]]; then
    run B "$N2" "async Rust iterate_items" "$ASYNC_RUST" "$B"
fi
api DELETE /_emulator/faults >/dev/null

echo "== case C: $N3 items, defaults (memory against case A's)" >&2
C=$(make_dataset "$N3")
run C "$N3" "C iter_next (defaults)" "$WORK/read_items" "$C"
if [[ -n $VIEW_FLAG ]]; then
    run C "$N3" "C iter_next_view (defaults)" "$WORK/read_items" "$C" 0 --view
fi
run C "$N3" "Rust RawItem (defaults)" "$REL/examples/bench_read" "$C" raw

echo
printf '%-2s %-28s %9s %8s %8s %9s %9s\n' case client items wall_s cpu_s rss_MB requests
printf '%s\n' "${ROWS[@]}"
[[ -n $VIEW_FLAG ]] || echo "(C iter_next_view: not in include/apify.h, skipped)"
[[ -n $HAS_PY ]] || echo "(Python apify_client not installed, skipped)"
[[ -n $ASYNC_RUST ]] || echo "(async Rust apify-client: APIFY_BENCH_ASYNC_RUST not set, skipped)"
