# Sourced on the GPU machine: points CMake, pkg-config and the loader at the Debian
# libraries that scripts/device_deps.sh unpacked into .deps/ (carried with the tree).
_wq_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export WQ_DEPS_ROOT="$_wq_root/.deps/root"
export CMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)'):$WQ_DEPS_ROOT/usr:$WQ_DEPS_ROOT/usr/lib/x86_64-linux-gnu/cmake"
export HDF5_ROOT="$WQ_DEPS_ROOT/usr/lib/x86_64-linux-gnu/hdf5/serial"
export PKG_CONFIG_PATH="$WQ_DEPS_ROOT/usr/lib/x86_64-linux-gnu/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$WQ_DEPS_ROOT"
export LD_LIBRARY_PATH="$WQ_DEPS_ROOT/usr/lib/x86_64-linux-gnu:$HDF5_ROOT/lib:$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="/usr/local/cuda/bin:$PATH"
unset _wq_root
