#!/usr/bin/env bash
# Installs the Debian packages chipshock builds and tests with. Idempotent: packages already
# present are skipped, so CI and developers can call it before every build. Open MPI (library and
# mpirun) is for `mpirun -np N chipshock run` and its test; clang-14 with its runtimes (libFuzzer,
# ASan, UBSan), LLVM's OpenMP and lld (faster links) are for the sanitizer and fuzz builds
# (scripts/ci_sanitize.sh, scripts/ci_fuzz.sh), which CI runs by default; pybind11 and the
# python3-* packages are for the Python module (python/), its tests and examples/quickstart.py;
# chromium renders report.html for its layout test (tests/report/render_check.sh).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  catch2 libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libeigen3-dev libhwy-dev
  libopenmpi-dev openmpi-bin
  python3 python3-numpy
  python3-dev pybind11-dev python3-pybind11 python3-pandas python3-pytest python3-matplotlib
  clang-14 libclang-rt-14-dev libomp-14-dev lld-14
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "setup.sh: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup.sh: all Debian packages present"
fi
