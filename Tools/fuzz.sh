#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (AddressSanitizer on) into .build/fuzz/ and runs each for
# FUZZ_SECONDS (default 60). Each target is compiled with swiftc straight from the sources of the
# module it fuzzes, so the fuzzer sees (and is guided by) the reader's code; the CLI targets link
# the other modules from the debug build (`swift build` first).
#
# usage: Tools/fuzz.sh [target...]       targets: safetensors idx cifar image config arguments (default: all)
#   FUZZ_SECONDS=600 Tools/fuzz.sh idx    run one target for ten minutes
#   Tools/fuzz.sh --build-only            build every target, run none
#   Tools/fuzz.sh --replay idx            run the target once over its corpus (no fuzzing)
#
# The committed seeds in Fuzz/Corpus/<target>/ are copied into .build/fuzz/corpus/<target>/, which
# is what the fuzzer grows; the committed corpus only ever gains minimized crash inputs
# (crash-<what>). A crash stops the run, leaves the input in .build/fuzz/artifacts/<target>/ and
# fails the script; minimize it with
#   .build/fuzz/<target> -minimize_crash=1 -runs=20000 CRASH   (writes minimized-from-* beside it)
set -euo pipefail
cd "$(dirname "$0")/.."

swiftc=${SWIFTC:-$(command -v swiftc 2>/dev/null || echo /opt/swift/usr/bin/swiftc)}
seconds=${FUZZ_SECONDS:-60}
out=.build/fuzz
debug=.build/debug
all_targets=(safetensors idx cifar image config arguments)
swift_flags=(-sanitize=fuzzer,address -parse-as-library -O -g -use-ld=lld -I Sources/CZlib -I Sources/CTurboJPEG -I Sources/CPNG
             -module-cache-path "$out/module-cache")

mode=run
if [[ ${1:-} == --build-only ]]; then mode=build; shift; fi
if [[ ${1:-} == --replay ]]; then mode=replay; shift; fi
targets=("$@")
(( ${#targets[@]} )) || targets=("${all_targets[@]}")

# The sources of each target: the fuzzed module's own, the fuzzer, its support files.
sources() {
    case $1 in
    safetensors) echo Sources/RetortCheckpoint/*.swift Fuzz/SafeTensorsFuzzer.swift ;;
    idx) echo $(data_sources) Fuzz/IDXFuzzer.swift Fuzz/Support/{FuzzedFile,ExpectDataError}.swift ;;
    cifar) echo $(data_sources) Fuzz/CIFARFuzzer.swift Fuzz/Support/{FuzzedFile,ExpectDataError}.swift ;;
    image) echo $(data_sources) Fuzz/ImageDecoderFuzzer.swift Fuzz/Support/ExpectDataError.swift ;;
    config) echo $(cli_sources) Fuzz/ConfigFuzzer.swift Fuzz/Support/FuzzSettings.swift ;;
    arguments) echo $(cli_sources) Fuzz/ArgumentsFuzzer.swift Fuzz/Support/FuzzSettings.swift ;;
    *) echo "unknown fuzz target '$1' (targets: ${all_targets[*]})" >&2; exit 2 ;;
    esac
}

# RetortData's sources, its image codecs included.
data_sources() {
    echo Sources/RetortData/*.swift Sources/RetortData/Images/*.swift
}

# The CLI's sources without its top-level main.swift, and the command list the build generates.
cli_sources() {
    ls Sources/retort/*.swift | grep -v '/main\.swift$'
    find .build/plugins/outputs -path '*/retort/destination/RegistryPlugin/*.swift'
}

# RetortData imports RetortRandom: a module of its own, built once.
build_random() {
    [[ $out/modules/RetortRandom.swiftmodule -nt Sources/RetortRandom ]] && return
    mkdir -p "$out/modules"
    "$swiftc" "${swift_flags[@]}" -wmo -module-name RetortRandom -emit-module \
        -emit-module-path "$out/modules/RetortRandom.swiftmodule" -c Sources/RetortRandom/*.swift -o "$out/RetortRandom.o"
}

build() { # target
    local target=$1 extra=()
    case $target in
    idx | cifar | image) build_random; extra=(-I "$out/modules" "$out/RetortRandom.o" -lturbojpeg -lpng16) ;;
    config | arguments)
        [[ -d $debug/RetortDistill.build ]] || { echo "the CLI fuzz targets link the debug build: run swift build first" >&2; exit 1; }
        extra=(-I "$debug/Modules" -I Sources/CVulkan)
        for module in RetortRandom RetortCheckpoint RetortCompute Retort RetortNN RetortData RetortDistill; do
            extra+=("$debug/$module.build"/*.o)
        done ;;
    esac
    echo "building $out/$target"
    # shellcheck disable=SC2046  # the source lists are plain paths
    "$swiftc" "${swift_flags[@]}" -module-name "fuzz_$target" $(sources "$target") "${extra[@]}" -o "$out/$target"
}

corpus_limits() { # target: libFuzzer options per target
    case $1 in
    cifar) echo -max_len=16384 ;;     # a CIFAR record is 3,073 bytes: room for a few
    idx | image) echo -max_len=8192 ;;
    *) echo -max_len=4096 ;;
    esac
}

# Swift's own crash handler would race AddressSanitizer's report: leave crashes to the sanitizer.
export SWIFT_BACKTRACE=enable=no
mkdir -p "$out"
status=0
for target in "${targets[@]}"; do
    build "$target"
    [[ $mode == build ]] && continue
    corpus=$out/corpus/$target artifacts=$out/artifacts/$target
    mkdir -p "$corpus" "$artifacts"
    cp -n Fuzz/Corpus/"$target"/* "$corpus"/ 2>/dev/null || true
    if [[ $mode == replay ]]; then
        "$out/$target" -runs=0 "$corpus" || status=1
        continue
    fi
    echo "fuzzing $target for $seconds s (corpus $corpus, log $out/$target.log)"
    # -malloc_limit_mb: one allocation above it is a failure (a header's claim was believed).
    # shellcheck disable=SC2046
    if "$out/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=128 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" $(corpus_limits "$target") "$corpus" >"$out/$target.log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec)' "$out/$target.log" || true
        echo "  corpus: $(ls "$corpus" | wc -l) inputs"
    else
        grep -E 'ERROR|SUMMARY|Test unit written' "$out/$target.log" || true
        echo "fuzz target $target FAILED: see $out/$target.log and $artifacts/"
        status=1
    fi
done
exit $status
