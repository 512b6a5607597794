#!/usr/bin/env bash
# Install the Debian packages rvirt's build and tests need: the RISC-V toolchain, QEMU and
# gdb-multiarch (the references the tests compare against), dtc, Debian's Rust with the
# standard library's source (to build the example kernels offline), and Debian's Linux 6.1
# source with what building it takes (`make linux`).
#
# Installs only what is missing and runs `apt-get update` at most once. Needs root (or
# sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  binutils-riscv64-unknown-elf
  gcc-riscv64-unknown-elf
  qemu-system-misc
  gdb-multiarch
  device-tree-compiler
  linux-source-6.1
  gcc-riscv64-linux-gnu
  make
  gcc
  libc6-dev
  flex
  bison
  bc
  xz-utils
  rustc-web
  cargo-web
  rust-web-src
  python3-venv
)

installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all Debian packages are present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-deps: missing ${missing[*]}; run as root to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
