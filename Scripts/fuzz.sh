#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer and the address sanitizer.
#
#   Scripts/fuzz.sh [SECONDS-PER-TARGET] [TARGET...]   run each target for a bounded time (default 300 s)
#   Scripts/fuzz.sh --smoke [TARGET...]                 25 s each (CI)
#   Scripts/fuzz.sh --runs N [SECONDS] [TARGET...]      stop a target after N executions, or at the time limit
#   Scripts/fuzz.sh --list                              the targets
#
# Targets are the folders of Sources/Fuzz (FuzzSupport aside). Each run builds them, makes seeds
# from the real captures (Scripts/fuzz-seeds.py), grows a corpus kept in .fuzz/corpus/TARGET
# between runs, and prints executions and executions per second per target. A crash, a hang
# (one input over -timeout seconds), too much memory or a failed property is a finding: the
# input is kept in .fuzz/crashes/TARGET/, printed in hex, and the script exits 1.
set -euo pipefail
cd "$(cd "$(dirname "$0")/.." && pwd -P)"

seconds=300
runs=""
targets=()
while (($#)); do
    case "$1" in
        --smoke) seconds=25 ;;
        --runs) runs="$2"; shift ;;
        --list) ls Sources/Fuzz | grep -vx FuzzSupport; exit 0 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        [0-9]*) seconds="$1" ;;
        *) targets+=("$1") ;;
    esac
    shift
done
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(ls Sources/Fuzz | grep -vx FuzzSupport)
fi

work="${FUZZ_WORK:-.fuzz}"
scratch=.build-fuzz
mkdir -p "$work"

# `--sanitize fuzzer` makes SwiftPM link libFuzzer and build the targets without a main of their
# own; the replay `@main` is left out with -DFUZZING. The compiler keeps only the last -sanitize=
# it is given, and SwiftPM's order of several --sanitize is not fixed, so coverage and address
# checking are asked for in one flag that comes last. -assert-config Debug keeps the standard
# library's bounds checks on unsafe buffers, which -O alone drops, at full optimisation.
build_flags=(-c release --scratch-path "$scratch" --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address
             -Xswiftc -DFUZZING -Xswiftc -assert-config -Xswiftc Debug)
for t in "${targets[@]}"; do
    [[ -d "Sources/Fuzz/$t" ]] || { echo "fuzz: no target $t (see --list)" >&2; exit 64; }
    echo "fuzz: building $t"
    # ld.gold warns once per sanitizer symbol it cannot export; that noise hides real errors.
    if ! swift build "${build_flags[@]}" --product "$t" > "$work/build-$t.log" 2>&1; then
        grep -v "Cannot export local symbol" "$work/build-$t.log" | tail -40 >&2
        echo "fuzz: build of $t failed" >&2
        exit 2
    fi
done
bin="$(swift build "${build_flags[@]}" --show-bin-path)"
# Without coverage counters libFuzzer mutates blindly, and without address checks a read past a
# buffer goes unseen: check that the decoders' objects have both.
if command -v nm > /dev/null; then
    object="$scratch/x86_64-unknown-linux-gnu/release/WireDecoding.build/SIPParser.swift.o"
    [[ -f "$object" ]] || object="$(find "$scratch" -path '*release/WireDecoding.build/SIPParser.swift.o' | head -1)"
    [[ "$(nm "$object" | grep -c __sancov_gen)" != 0 ]] || { echo "fuzz: $object has no coverage counters" >&2; exit 2; }
    [[ "$(nm "$object" | grep -c __asan_report)" != 0 ]] || { echo "fuzz: $object has no address checks" >&2; exit 2; }
fi

if command -v python3 > /dev/null; then
    rm -rf "$work/seeds"
    python3 Scripts/fuzz-seeds.py "$work/seeds" | sed 's/^/fuzz: seeds: /'
else
    echo "fuzz: python3 not found, running without seeds from the captures" >&2
fi

# The Swift runtime's crash backtracer waits on a process that libFuzzer is tearing down.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:symbolize=1}"

findings=0
summary=()
for t in "${targets[@]}"; do
    corpus="$work/corpus/$t" crashes="$work/crashes/$t" log="$work/logs/$t.log"
    mkdir -p "$corpus" "$crashes" "$work/logs"
    inputs=("$corpus")
    [[ -d "$work/seeds/$t" ]] && inputs+=("$work/seeds/$t")
    [[ -d "Fuzz/seeds/$t" ]] && inputs+=("Fuzz/seeds/$t")
    cat Fuzz/dictionaries/common.dict > "$work/$t.dict"
    [[ -f "Fuzz/dictionaries/$t.dict" ]] && cat "Fuzz/dictionaries/$t.dict" >> "$work/$t.dict"
    options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
             -artifact_prefix="$crashes/" -dict="$work/$t.dict")
    [[ -n "$runs" ]] && options+=(-runs="$runs")
    echo "fuzz: $t for up to ${seconds} s${runs:+ or $runs executions} (log: $log)"
    start=$SECONDS
    set +e
    "$bin/$t" "${options[@]}" "${inputs[@]}" > "$log" 2>&1
    status=$?
    set -e
    elapsed=$((SECONDS - start))
    units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    corpus_size=$(find "$corpus" -type f | wc -l)
    result=ok
    if ((status != 0)); then
        result="FINDING (exit $status)"
        findings=$((findings + 1))
        echo "fuzz: $t: finding; the end of its log:" >&2
        grep -E "Fatal error|ERROR|SUMMARY|^ *#[0-9]+ 0x.* in .*(Sources|Tests)/" "$log" | head -20 >&2
        for f in $(ls -t "$crashes" | head -3); do
            echo "fuzz: $crashes/$f ($(stat -c %s "$crashes/$f") bytes):" >&2
            od -An -v -tx1 "$crashes/$f" | head -32 >&2
        done
    fi
    summary+=("$(printf '%-18s %12s %9s %8s %8s %7s  %s' "$t" "${units:-?}" "${rate:-?}" "$elapsed" "${rss:-?}" "$corpus_size" "$result")")
done

printf '\n%-18s %12s %9s %8s %8s %7s  %s\n' target executions exec/s seconds "RSS MiB" corpus result
printf '%s\n' "${summary[@]}"
if ((findings)); then
    echo "fuzz: $findings target(s) found a problem; inputs kept in $work/crashes" >&2
    exit 1
fi
