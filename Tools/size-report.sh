#!/usr/bin/env bash
# The size report `make test` prints: lines per target, kernels, CLI option keys, long files and
# long lines, each against a budget. Crossing a budget fails the run; raise one only with a reason
# in the commit that does it (a budget is a prompt to simplify first).
#
# usage: Tools/size-report.sh [path/to/retort]   (the binary lists the option keys in --help)
set -euo pipefail
cd "$(dirname "$0")/.."
retort=${1:-.build/debug/retort}

# Budgets.
max_source_lines=31900      # all of Sources/, Swift only (issue 19: the CPU oracles moved out of the tests into RetortOracle, the selftest catalog, KernelChoice, mixed precision)
max_shader_lines=3400       # shipped shaders: Shaders/ and Sources/*/Shaders/, *.comp and *.glsl
max_kernels=48              # shipped *.comp files
max_option_keys=86          # distinct --keys in `retort --help` (issue 19 added --all, --only, --verbose, --precision)
max_file_lines=600          # any Swift or shader file (DESIGN §8)
max_files_over_400=3        # files longer than 400 lines
max_long_lines=520          # lines over 140 columns (only ever lowered; 563 when the report began)

failures=()
check() { # name value limit
    local verdict="ok"
    if (( $2 > $3 )); then verdict="OVER"; failures+=("$1: $2 > $3"); fi
    printf '  %-34s %7d  (budget %d) %s\n' "$1" "$2" "$3" "$verdict"
}
count_lines() { find "$@" -type f \( -name '*.swift' -o -name '*.comp' -o -name '*.glsl' \) -print0 | xargs -0 cat | wc -l; }
shader_dirs() { find Shaders Sources/*/Shaders -maxdepth 0 -type d 2>/dev/null; }
code_files() { find Sources Benchmarks/retort-bench Plugins Shaders Tests -type f \( -name '*.swift' -o -name '*.comp' -o -name '*.glsl' \); }

echo "Size report"
echo "  lines per target:"
for dir in Sources/*/ Benchmarks/retort-bench/ Plugins/*/; do
    printf '    %-32s %7d\n' "${dir%/}" "$(count_lines "$dir")"
done
printf '    %-32s %7d\n' "Tests" "$(count_lines Tests)"
check "Sources lines" "$(find Sources -name '*.swift' -print0 | xargs -0 cat | wc -l)" $max_source_lines
check "shader lines" "$(count_lines $(shader_dirs))" $max_shader_lines
check "kernels (shipped *.comp)" "$(find $(shader_dirs) -name '*.comp' | wc -l)" $max_kernels
if [[ -x "$retort" ]]; then
    check "CLI option keys" "$("$retort" --help | grep -oE -- '--[a-z0-9][a-z0-9-]+' | sort -u | wc -l)" $max_option_keys
else
    echo "  CLI option keys: $retort is not built" >&2; failures+=("no $retort to count option keys")
fi
longest=$(code_files | xargs wc -l | grep -v ' total$' | sort -n | tail -1)
check "longest file (${longest##* })" "$(awk '{print $1}' <<<"$longest")" $max_file_lines
over_400=$(code_files | xargs wc -l | grep -v ' total$' | awk '$1 > 400 {print "    " $2 " (" $1 ")"}')
check "files over 400 lines" "$(grep -c . <<<"$over_400" || true)" $max_files_over_400
[[ -n "$over_400" ]] && echo "$over_400"
check "lines over 140 columns" "$(code_files | xargs grep -c '.\{141,\}' | awk -F: '{n += $2} END {print n + 0}')" $max_long_lines

if (( ${#failures[@]} > 0 )); then
    printf 'error: over budget: %s\n' "${failures[@]}" >&2
    echo "Simplify, or raise the budget in Tools/size-report.sh with the reason in the commit." >&2
    exit 1
fi
