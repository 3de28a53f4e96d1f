#!/usr/bin/env bash
# `deno task setup` (or `bash scripts/setup.sh` before Deno exists), run as root on Debian: installs
# every optional tool the tests use, so that `deno task test` runs them all and ignores none but the
# compile test (which needs Deno's denort download: set DENORT_BIN). Installs only what is missing:
#   Mesa's Vulkan driver and loader (WebGPU tests on llvmpipe), Chromium (browser test), wabt
#   (wat2wasm: the FMA kernel's freshness test), Debian's Rust→Wasm toolchain (`deno task wasm
#   --check`), numpy and Python's safetensors from PyPI for the PATH's python3 (checkpoint
#   interoperability), and Deno from npm.
# `--check` lists what is missing and exits 1 if anything is, installing nothing.
set -uo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }
check_only=0
[ "${1:-}" = "--check" ] && check_only=1

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
[ -e /usr/share/vulkan/icd.d/lvp_icd.x86_64.json ] || need_apt+=(mesa-vulkan-drivers)
ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 ' || need_apt+=(libvulkan1)
[ -x /usr/bin/rustc ] || need_apt+=(rustc)
[ -x /usr/bin/cargo ] || need_apt+=(cargo)
[ -d /usr/lib/rustlib/wasm32-unknown-unknown ] || need_apt+=(libstd-rust-dev-wasm32)
command -v rust-lld >/dev/null 2>&1 || command -v wasm-ld >/dev/null 2>&1 || need_apt+=(lld)
# wat2wasm assembles the hand-written FMA micro-kernel; its freshness test needs it.
command -v wat2wasm >/dev/null 2>&1 || need_apt+=(wabt)
# The safetensors interoperability test uses the PATH's python3 with numpy and safetensors.
py_ok() { python3 -c 'import numpy, safetensors.numpy' >/dev/null 2>&1; }
if ! command -v python3 >/dev/null 2>&1; then
  need_apt+=(python3 python3-pip)
elif ! py_ok && ! python3 -m pip --version >/dev/null 2>&1; then
  need_apt+=(python3-pip)
fi
need_deno=0
command -v deno >/dev/null 2>&1 || need_deno=1

if [ "$check_only" -eq 1 ]; then
  missing=("${need_apt[@]}")
  [ "$need_deno" -eq 1 ] && missing+=("deno (npm)")
  py_ok || missing+=("numpy and safetensors for $(command -v python3 || echo python3) (pip)")
  if [ ${#missing[@]} -eq 0 ]; then log "nothing missing"; exit 0; fi
  log "missing: ${missing[*]}"
  exit 1
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null || {
    log "apt-get install failed"; exit 1; }
fi
if ! py_ok; then
  log "installing Python's safetensors for $(command -v python3) (pip, from PyPI)"
  # Debian marks its Python as externally managed; the flag is ignored by other Pythons.
  python3 -m pip install -q --break-system-packages numpy safetensors >/dev/null 2>&1 ||
    python3 -m pip install -q numpy safetensors >/dev/null 2>&1 || {
    log "pip install safetensors failed"; exit 1; }
fi
if [ "$need_deno" -eq 1 ]; then
  log "installing Deno from npm"
  npm install -g deno@2.9.6 >/dev/null 2>&1 || { log "npm install -g deno failed"; exit 1; }
fi
log "$(deno --version | head -1); all optional test tools present"
