#!/usr/bin/env bash
# `make check-dist`: the release bundle on a clean Debian 12. A minimal bookworm root (debootstrap
# --variant=minbase, kept in .build/dist-check/debian12 so later runs start at once) gets only the
# Vulkan loader and Mesa's drivers (no Swift, no -dev package); the bundle is unpacked into it and,
# chrooted with an empty environment, runs `retort --version`, `retort devices`, `retort selftest --all`,
# a short `retort-bench train` (its PyTorch peer is absent there: it must say so and go on) and one
# small epoch of `retort train` on Fashion-MNIST (copied in from the host, as --data-dir).
# Needs root (debootstrap, chroot, bind mounts) and, on the first run, the Debian mirror.
#
# usage: Tools/check-dist.sh dist/retort-<version>-linux-x86_64.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=${1:?usage: Tools/check-dist.sh dist/retort-<version>-linux-x86_64.tar.gz}
[[ -f $bundle ]] || { echo "error: $bundle not found: run make dist first" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "error: check-dist needs root (debootstrap, chroot, mounts): run it with sudo" >&2; exit 1; }

work=.build/dist-check
root=$work/debian12
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
fashion_mnist=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
packages="libvulkan1 mesa-vulkan-drivers"
[[ -f $fashion_mnist/train-images-idx3-ubyte.gz ]] || {
    echo "error: Fashion-MNIST not found in $fashion_mnist: install dataset-fashion-mnist or set FASHION_MNIST_DIR" >&2; exit 1; }

mounted=()
unmount_all() {
    local index
    for ((index = ${#mounted[@]} - 1; index >= 0; index--)); do
        umount "${mounted[index]}" 2>/dev/null || umount -l "${mounted[index]}"
    done
    mounted=()
}
trap unmount_all EXIT
child=""
trap '[[ -z $child ]] || { kill "$child"; wait "$child"; }; exit 130' INT TERM
# A run killed with its mounts in place leaves them: undo them before anything under the root is removed.
root_path=$(realpath -m "$root")
while read -r _ point _; do
    [[ $point == "$root_path"/* ]] && { echo "unmounting $point (left by an earlier run)"; umount -l "$point"; }
done < <(tac /proc/self/mounts)
mount_system() { # a root: its /proc, /sys and /dev, undone on exit (also on failure, Ctrl-C or kill)
    local point
    for point in proc sys dev; do
        if [[ $point == proc ]]; then mount -t proc proc "$1/proc"; else mount --bind "/$point" "$1/$point"; fi \
            || { echo "error: cannot mount /$point in $1 (check-dist needs a root that may mount)" >&2; exit 1; }
        mounted+=("$1/$point")
    done
}
# Runs a command in the root with nothing of the host's environment (PATH, LD_LIBRARY_PATH, Swift).
root_environment=(/usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
in_root() { chroot "$root" "${root_environment[@]}" "$@"; }
step() { # title, command…: runs the command in the root and prints its time
    echo; echo "== $1"; shift
    local start=$SECONDS
    # In the background and waited for, so a signal to this script reaches the trap, which stops the command, at once.
    (exec chroot "$root" "${root_environment[@]}" "$@") &
    child=$!
    wait "$child"
    child=""
    echo "-- $((SECONDS - start)) s"
}

started=$SECONDS
if [[ ! -f $root/.retort-check-ready ]]; then
    command -v debootstrap >/dev/null || {
        echo "Installing Debian package: debootstrap"
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap; }
    rm -rf --one-file-system "$root" "$root.partial"
    mkdir -p "$work"
    debootstrap --variant=minbase bookworm "$root.partial" "$mirror"
    cp /etc/resolv.conf "$root.partial/etc/resolv.conf"
    mv "$root.partial" "$root"
    mount_system "$root"
    in_root apt-get update -q
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages
    in_root apt-get clean
    unmount_all
    touch "$root/.retort-check-ready"
    echo "clean Debian 12 root ready in $root ($((SECONDS - started)) s)"
fi

# The bundle and the data, fresh each run.
rm -rf --one-file-system "$root/opt/retort" "$root/root/check" "$root/root/.cache"
mkdir -p "$root/opt/retort" "$root/root/check/fashion-mnist"
tar -xzf "$bundle" -C "$root/opt/retort" --strip-components=1
cp "$fashion_mnist"/*.gz "$root/root/check/fashion-mnist/"
mount_system "$root"

echo "== what the root lacks (each must be absent)"
in_root /bin/bash -c '
    status=0
    absent() { if [[ -n $2 ]]; then echo "present: $1: $2"; status=1; else echo "absent: $1"; fi; }
    absent /usr/lib/swift "$(ls -d /usr/lib/swift 2>/dev/null)"
    absent "swift on PATH" "$(command -v swift)"
    absent "the Swift runtime" "$(find / -xdev -name "libswiftCore*" -print -quit)"
    absent libturbojpeg "$(find / -xdev -name "libturbojpeg*" -print -quit)"
    absent libpng16 "$(find / -xdev -name "libpng16*" -print -quit)"
    absent "-dev packages" "$(dpkg-query -W -f="\${Package}\n" | grep -- "-dev$" | tr "\n" " ")"
    exit $status'
echo "installed: $(in_root dpkg-query -W -f='${Package} ' $packages)"

step "ldd retort retort-bench" ldd /opt/retort/retort /opt/retort/retort-bench
step "retort --version" /opt/retort/retort --version
step "retort devices" /opt/retort/retort devices
step "retort selftest --all" /opt/retort/retort selftest --all
step "retort-bench train --model plane6 --rounds 5 --precision fp32,fp16,bf16 --peers (the PyTorch peer is not in the bundle: it must say so)" \
    /opt/retort/retort-bench train --model plane6 --rounds 5 --precision fp32,fp16,bf16 --peers
step "retort train: plane2, one epoch on the first 10,000 Fashion-MNIST images" \
    /opt/retort/retort train --model plane2 --dataset fashion-mnist --data-dir /root/check/fashion-mnist --limit 10000 \
    --epochs 1 --batch-size 128 --lr 0.05 --seed 1 --out /root/check/plane2
echo
echo "check-dist: $(basename "$bundle") passed on a clean Debian 12 root in $((SECONDS - started)) s"
