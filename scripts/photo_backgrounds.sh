#!/usr/bin/env bash
# Five photographs for `deno task train --backgrounds DIR` (one per PolyMNIST modality, taken in
# sorted file-name order): the sample images that scikit-image ships in its PyPI wheel, all free of
# copyright restrictions (skimage/data/_fetchers.py says so for each):
#   0_astronaut.png  Eileen Collins, NASA (public domain)
#   1_chelsea.png    a cat, Stefan van der Walt (CC0)
#   2_coffee.png     a cup of coffee, Rachel Michetti (CC0)
#   3_rocket.jpg     Falcon 9 launch of DSCOVR, SpaceX (public domain)
#   4_hubble.jpg     Hubble deep field, NASA (public domain)
# Usage: bash scripts/photo_backgrounds.sh DIR   (needs pip and python3; downloads one ~14 MB wheel
# with `pip download`, installs nothing, and extracts only these five files into DIR).
set -euo pipefail
out="${1:-}"
if [ -z "$out" ]; then
  echo "Cannot fetch backgrounds: give the output folder: bash scripts/photo_backgrounds.sh DIR" >&2
  exit 2
fi
command -v python3 >/dev/null 2>&1 || {
  echo "Cannot fetch backgrounds: python3 not found on PATH; install: apt-get install python3 python3-pip" >&2
  exit 1
}
python3 -m pip --version >/dev/null 2>&1 || {
  echo "Cannot fetch backgrounds: pip not found for python3; install: apt-get install python3-pip" >&2
  exit 1
}
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The version is pinned so every machine gets the same five files (and so the same dataset).
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" \
  --python-version 3.11 --platform manylinux_2_28_x86_64 "scikit-image==0.26.0"
mkdir -p "$out"
python3 - "$tmp" "$out" <<'PY'
import glob, sys, zipfile
tmp, out = sys.argv[1], sys.argv[2]
wheel = glob.glob(f"{tmp}/scikit_image-*.whl")[0]
files = {"astronaut.png": "0_astronaut.png", "chelsea.png": "1_chelsea.png",
         "coffee.png": "2_coffee.png", "rocket.jpg": "3_rocket.jpg",
         "hubble_deep_field.jpg": "4_hubble.jpg"}
with zipfile.ZipFile(wheel) as z:
    for src, dst in files.items():
        with open(f"{out}/{dst}", "wb") as f:
            f.write(z.read(f"skimage/data/{src}"))
        print(f"{out}/{dst}")
PY
