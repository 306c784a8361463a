#!/usr/bin/env bash
# Builds the CUDA configuration for sm_90 (H100/H200) on a machine that has the CUDA toolkit and
# scripts/setup.sh's packages but no GPU, and packs what a GPU machine without compilers or those
# packages needs to run the whole check: every executable, CTest's files and the shared
# libraries that are neither in a base system nor in the CUDA toolkit (toml++, libgomp, Highway), and
# an Open MPI runtime (scripts/pack_openmpi.sh) for the mpirun tests and runs.
# On the GPU machine, in a checkout of the same commit:
#     scripts/gpu_check.sh --bundle gpu-bundle/chipshock-gpu.tar.xz
#
# Usage: scripts/gpu_bundle.sh [build-dir] [bundle-file]
#        (defaults: build-gpu and gpu-bundle/chipshock-gpu.tar.xz; both are git-ignored)
# The host code is compiled for x86-64-v3 (AVX2 and FMA; every build is), so that it runs on
# the GPU machine's processor too. MPI is on (Debian's Open MPI, which the bundle carries).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${1:-build-gpu}
bundle=${2:-gpu-bundle/chipshock-gpu.tar.xz}
export PATH=/usr/local/cuda/bin:$PATH

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCHIPSHOCK_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DCHIPSHOCK_WERROR=ON \
  -DCHIPSHOCK_MPI=ON -DCHIPSHOCK_PYTHON=OFF
cmake --build "$build" -j "$(nproc)"

# The shared libraries to take along: those of chipshock that come from toml++ or GCC's OpenMP.
libs=$(ldd "$build/chipshock" | awk '/libtomlplusplus|libgomp|libhwy/ { print $3 }')
[ -n "$libs" ] || { echo "gpu_bundle: ldd found neither toml++ nor libgomp in $build/chipshock" >&2; exit 1; }
rm -rf "$build/bundle-lib"
mkdir -p "$build/bundle-lib"
for lib in $libs; do cp -L "$lib" "$build/bundle-lib/"; done
scripts/pack_openmpi.sh "$build/bundle-mpi"

# What the bundle was built from: the paths compiled into the programs and CTest's files (the
# check links them to the GPU machine's checkout), and the commit (the check compares it).
{
  echo "source_dir=$root"
  echo "build_dir=$root/$build"
  echo "commit=$(git rev-parse HEAD)"
  echo "dirty=$(git status --porcelain --untracked-files=no | grep -qv '^$' && echo yes || echo no)"
  echo "mpi=$(ompi_info --version | head -1)"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $(nvcc --version | tail -1)"
} >"$build/bundle-info"

mkdir -p "$(dirname "$bundle")"
# Everything but the objects, the static libraries and Ninja's state; xz, since the programs
# (each linking the CUDA kernels) come to about 60 MB with gzip and the working tree that travels
# to a GPU machine with the bundle is limited (xz: about half).
XZ_OPT=${XZ_OPT:--6 -T0} tar -cJf "$bundle" --exclude='*.o' --exclude='*.a' --exclude='.ninja_*' \
  --exclude='build.ninja' --exclude='CMakeFiles' --exclude='Testing' "$build"
echo "gpu_bundle: $bundle, $(du -h "$bundle" | cut -f1), built from $(git rev-parse --short HEAD)"
