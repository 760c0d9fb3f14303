#!/usr/bin/env bash
# The self-contained release bundle `make dist` writes: dist/retort-<version>-linux-x86_64.tar.gz with
# `retort` and `retort-bench` built -c release with the static Swift standard library (Foundation
# included) and libjpeg-turbo, libpng and zlib linked from their static archives, stripped. The binary
# needs only glibc, libstdc++ and libgcc_s (every Debian and Ubuntu has them; Mesa's Vulkan drivers
# depend on them too) and, at run time, a Vulkan loader and driver (opened with dlopen, as is Open MPI).
#
# The two programs are linked into one executable (Tools/dist-main.c picks the program by the name it
# is called as; `retort-bench` is a symbolic link): the static runtime and Foundation, about 24 MB, are
# in the bundle once instead of twice. ICU's data, which Foundation embeds (34 MB), goes in without
# the items Retort never reaches (Tools/trim-icu-data.py: 23 MB). Fails when the binary needs any other
# library or passes the size budget.
#
# usage: Tools/dist.sh [path/to/swift]
set -euo pipefail
cd "$(dirname "$0")/.."
swift=$(command -v "${1:-swift}") || { echo "error: ${1:-swift} not found: pass the path of swift" >&2; exit 1; }
toolchain=$(dirname "$(dirname "$(readlink -f "$swift")")")    # …/usr
clang=$toolchain/bin/clang

build=.build/dist                       # its own build folder: the debug and release builds stay as they are
work=$build/bundle-objects
static_libs=$build/static-libs          # only the .a archives, so the linker cannot pick the shared libraries
max_bytes=60000000                      # retort and retort-bench together
# The libraries the binary may need: glibc's, and the C++ runtime the static Swift runtime uses.
allowed='^(libc|libm|libdl|libpthread|librt|libutil|ld-linux-x86-64|libstdc\+\+|libgcc_s)\.so\.[0-9]+$'

# The -l names of the system-library targets (Sources/CZlib, CPNG, CTurboJPEG) and their Debian packages.
rm -rf "$work" "$static_libs" && mkdir -p "$work" "$static_libs"
for pair in z:zlib1g-dev png16:libpng-dev turbojpeg:libturbojpeg0-dev; do
    name=${pair%%:*} package=${pair#*:}
    archive=$("$clang" -print-file-name="lib$name.a")
    [[ -f $archive ]] || { echo "error: lib$name.a not found: install $package (make deps)" >&2; exit 1; }
    ln -s "$archive" "$static_libs/lib$name.a"
done

# One product at a time: the test-support targets need XCTest, which has no static build.
for product in retort retort-bench; do
    "$swift" build -c release --static-swift-stdlib --build-path "$build" --product "$product"
done

# ICU's data package, out of Foundation's static ICU library, trimmed, as an object defining the same
# symbol: the linker then leaves the library's copy out.
icu_library=$toolchain/lib/swift_static/linux/lib_FoundationICU.a
read -r member symbol < <(nm -A "$icu_library" 2>/dev/null | sed -n 's/^[^:]*:\([^:]*\):[0-9a-f]* R \(icudt[0-9]*_dat\)$/\1 \2/p') || true
[[ -n ${symbol:-} ]] || { echo "error: no icudt*_dat data symbol in $icu_library" >&2; exit 1; }
(cd "$work" && ar x "$icu_library" "$member")
objcopy -O binary --only-section=.rodata "$work/$member" "$work/icu-full.dat"
symbol_bytes=$((16#$(nm -S "$work/$member" | awk -v s="$symbol" '$4 == s { print $2 }')))
[[ $(stat -c %s "$work/icu-full.dat") -eq $symbol_bytes ]] || { echo "error: $member holds more than $symbol" >&2; exit 1; }
python3 Tools/trim-icu-data.py "$work/icu-full.dat" "$work/icu.dat"
printf '\t.section .rodata\n\t.balign 16\n\t.globl %s\n\t.type %s, @object\n%s:\n\t.incbin "icu.dat"\n\t.size %s, .-%s\n' \
    "$symbol" "$symbol" "$symbol" "$symbol" "$symbol" > "$work/icu-data.s"
(cd "$work" && "$clang" -c icu-data.s -o icu-data.o)
"$clang" -O2 -c Tools/dist-main.c -o "$work/dist-main.o"

# Both products' objects (their libraries' once) with the entry point and the data, linked as SwiftPM links them.
sort -u "$build/release/retort.product/Objects.LinkFileList" "$build/release/retort-bench.product/Objects.LinkFileList" \
    > "$work/objects.txt"
"$toolchain/bin/swiftc" -static-stdlib -emit-executable -Xlinker --gc-sections -L "$static_libs" @"$work/objects.txt" \
    "$work/dist-main.o" "$work/icu-data.o" -o "$work/retort" 2> >(grep -v "mktemp" >&2)

version=$("$work/retort" --version | awk '{ print $2 }')
name=retort-$version-linux-x86_64
staging=$build/bundle/$name
rm -rf "$build/bundle" && mkdir -p "$staging"
strip -o "$staging/retort" "$work/retort"
ln -s retort "$staging/retort-bench"
needed=$(readelf -d "$staging/retort" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
unexpected=$(grep -Ev "$allowed" <<< "$needed" || true)
if [[ -n $unexpected ]]; then
    echo "error: retort needs libraries a bare system lacks: $(tr '\n' ' ' <<< "$unexpected")" >&2
    echo "  link them statically (see $static_libs) or open them with dlopen" >&2
    exit 1
fi
bytes=$(stat -c %s "$staging/retort")
for program in retort retort-bench; do
    help=$("$staging/$program" --help)
    grep -q "usage: $program " <<< "$help" || { echo "error: the bundle's $program does not run $program" >&2; exit 1; }
done
echo "retort (retort-bench links to it): $bytes bytes (budget $max_bytes); needs $(tr '\n' ' ' <<< "$needed")"
(( bytes <= max_bytes )) || { echo "error: retort and retort-bench pass the size budget of $max_bytes bytes" >&2; exit 1; }

cat > "$staging/README.md" <<EOF
# Retort $version (Linux x86_64)

\`retort\` trains and distills neural networks on any Vulkan device; \`retort-bench\` measures it.
They are one self-contained binary (\`retort-bench\` is a link to \`retort\`): it needs glibc,
libstdc++ and a Vulkan driver, nothing else (no Swift).

    sudo apt-get install libvulkan1 mesa-vulkan-drivers   # Debian/Ubuntu: the loader and Mesa's drivers
    ./retort devices             # the Vulkan devices; * marks the one Retort uses
    ./retort selftest --all      # every kernel on that device against a CPU reference
    ./retort --help

NVIDIA's proprietary driver brings its own Vulkan driver; \`mesa-vulkan-drivers\` covers AMD, Intel and
lavapipe (the CPU). Fashion-MNIST, the default dataset, comes with Debian's \`dataset-fashion-mnist\`
or from \`--data-dir DIR\` (its four .gz files). Data-parallel runs (\`mpirun\`) need Open MPI.
THIRD-PARTY-NOTICES.txt lists the licenses of the libraries linked in.
EOF

notices=$staging/THIRD-PARTY-NOTICES.txt
{
    echo "retort and retort-bench include the following libraries, linked statically."
    for source in "Swift standard library, Foundation, Dispatch:$toolchain/share/swift/LICENSE.txt" \
                  "libjpeg-turbo:/usr/share/doc/libturbojpeg0/copyright" "libpng:/usr/share/doc/libpng16-16/copyright" \
                  "zlib:/usr/share/doc/zlib1g/copyright"; do
        file=${source#*:}
        [[ -f $file ]] || { echo "error: $file not found (the license of ${source%%:*})" >&2; exit 1; }
        printf '\n==== %s ====\n\n' "${source%%:*}"
        cat "$file"
    done
    printf '\n==== ICU (%s, inside Foundation; its data trimmed) ====\n\n' "$symbol"
    echo "Copyright © 2016 and later Unicode, Inc. and others. Under the Unicode License V3:"
    echo "https://www.unicode.org/license.txt"
} > "$notices"

# The same bytes for the same commit: sorted names, no owners, the commit's time.
mkdir -p dist
mtime=$(git log -1 --format=%ct 2>/dev/null || date +%s)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$build/bundle" -cf - "$name" \
    | gzip -n -9 > "dist/$name.tar.gz"
echo "wrote dist/$name.tar.gz ($(stat -c %s "dist/$name.tar.gz") bytes)"
