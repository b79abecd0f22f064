#!/usr/bin/env bash
# Installs what is missing (system packages, then the build) and builds into build/.
# Idempotent: a second run only rebuilds what changed. Used by quickstart.sh and test.sh.
#   WQ_BUILD_DIR   build folder (default: build)
#   WQ_CUDA        AUTO|ON|OFF (default AUTO: CUDA kernels when nvcc is found)
#   WQ_NO_APT=1    never call apt-get (report what is missing instead)
#   WQ_EXTRA_PACKAGES  further apt packages to install (space-separated)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

build_dir="${WQ_BUILD_DIR:-build}"
packages=(build-essential cmake ninja-build pkg-config git
  libyaml-cpp-dev libhdf5-dev libcli11-dev nlohmann-json3-dev libpcre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg
  python3-h5py python3-pandas python3-matplotlib)
# Packages only some entry points need (test.sh adds Slurm for the scale-out tests).
read -r -a extra_packages <<<"${WQ_EXTRA_PACKAGES:-}"
packages+=("${extra_packages[@]}")

# LibTorch: an installed PyTorch's (GPU boxes) or Debian/Ubuntu's libtorch-dev (CPU).
torch_prefix=""
if python3 -c 'import torch' >/dev/null 2>&1; then
  torch_prefix="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')"
  say "using the LibTorch of the installed PyTorch: $torch_prefix"
else
  # Debian's LibTorch calls the generic BLAS; without OpenBLAS behind it that is the
  # reference Fortran BLAS, and every CPU matmul (model runs, proxy training) is ~5x slower.
  packages+=(libtorch-dev libopenblas0-pthread)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ "${WQ_NO_APT:-0}" == 1 ]]; then
    say "missing packages (WQ_NO_APT=1, not installing): ${missing[*]}"; exit 1
  fi
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  say "installing missing packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  say "system packages: all present"
fi

cmake_args=(-S . -B "$build_dir" -G Ninja -DWQ_CUDA="${WQ_CUDA:-AUTO}")
[[ -n "$torch_prefix" ]] && cmake_args+=(-DCMAKE_PREFIX_PATH="$torch_prefix")
if [[ ! -f "$build_dir/build.ninja" ]]; then
  say "configuring $build_dir/"
  cmake "${cmake_args[@]}" >&2
fi
say "building in $build_dir/ (targets: ${*:-all})"
cmake --build "$build_dir" -j"$(nproc)" ${1:+--target "$@"} >&2
