#!/usr/bin/env bash
# `make linux`: Linux 6.1 rv32 from Debian's linux-source-6.1, with rvirt's own small
# configuration (linux/rvirt.config over allnoconfig) and a static init of its own
# (linux/init.c, built against the kernel tree's tools/include/nolibc) in an initramfs.
#
#   build/linux/src     the kernel source, unpacked from /usr/src/linux-source-6.1.tar.xz
#   build/linux/obj     the kernel's build tree (O=)
#   build/linux/Image   the kernel, for -kernel
#
# Everything is rebuilt only when missing or older than its inputs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/linux
SRC=$OUT/src
OBJ=$OUT/obj
TARBALL=/usr/src/linux-source-6.1.tar.xz
CROSS=riscv64-linux-gnu-
KMAKE=(make -s -C "$SRC" O="$OBJ" ARCH=riscv CROSS_COMPILE=$CROSS)
JOBS=$(nproc)

fail() { echo "make linux: $*" >&2; exit 1; }

[ -f "$TARBALL" ] || fail "$TARBALL is missing (apt-get install linux-source-6.1)"
command -v ${CROSS}gcc >/dev/null || fail "${CROSS}gcc is missing (apt-get install gcc-riscv64-linux-gnu)"
mkdir -p "$OUT"

if [ ! -f "$SRC/Makefile" ] || [ "$TARBALL" -nt "$SRC/Makefile" ]; then
  echo "make linux: unpacking $TARBALL"
  rm -rf "$SRC" && mkdir -p "$SRC"
  tar -xf "$TARBALL" -C "$SRC" --strip-components=1
  touch "$SRC/Makefile"
fi

# The configuration: allnoconfig plus rvirt.config, then every option of rvirt.config
# must have taken (a dependency that failed would silently drop one).
cat "$ROOT/linux/rvirt.config" > "$OUT/allconfig"
echo "CONFIG_INITRAMFS_SOURCE=\"$OUT/initramfs.list\"" >> "$OUT/allconfig"
if [ ! -f "$OBJ/.config" ] || [ "$OUT/allconfig" -nt "$OBJ/.config" ]; then
  mkdir -p "$OBJ"
  "${KMAKE[@]}" KCONFIG_ALLCONFIG="$OUT/allconfig" allnoconfig
  while IFS= read -r line; do
    case "$line" in
      CONFIG_*=n) opt=${line%=n}
        grep -qx "# $opt is not set" "$OBJ/.config" || fail "$opt is set; rvirt.config wants it off" ;;
      CONFIG_*) grep -qxF "$line" "$OBJ/.config" || fail "$line did not take (see $OBJ/.config)" ;;
      "# CONFIG_"*" is not set") grep -qxF "$line" "$OBJ/.config" || fail "'$line' did not take" ;;
    esac
  done < "$OUT/allconfig"
fi

# The init: the kernel's UAPI headers (in $OBJ/usr/include), then nolibc (static, no libc, no start files).
"${KMAKE[@]}" headers
if [ ! -f "$OUT/init" ] || [ "$ROOT/linux/init.c" -nt "$OUT/init" ]; then
  ${CROSS}gcc -march=rv32imac_zicsr -mabi=ilp32 -Os -static -nostdlib -ffreestanding \
    -fno-stack-protector -fno-asynchronous-unwind-tables -Wall -Werror \
    -I "$SRC/tools/include/nolibc" -I "$OBJ/usr/include" \
    -o "$OUT/init" "$ROOT/linux/init.c"
fi
cat > "$OUT/initramfs.list.new" <<LIST
dir /dev 755 0 0
nod /dev/console 600 0 0 c 5 1
dir /sys 755 0 0
file /init $OUT/init 755 0 0
LIST
cmp -s "$OUT/initramfs.list.new" "$OUT/initramfs.list" 2>/dev/null \
  && rm "$OUT/initramfs.list.new" || mv "$OUT/initramfs.list.new" "$OUT/initramfs.list"

echo "make linux: building Image with $JOBS jobs"
"${KMAKE[@]}" -j"$JOBS" Image
cp "$OBJ/arch/riscv/boot/Image" "$OUT/Image"
echo "make linux: $OUT/Image"
