// Every CUDA status is checked: a failing call throws with the call site, so exit code 0
// means something (METHOD.md).
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace wq::kernels {

inline void cuda_check(cudaError_t status, const char* what, const char* file, int line) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string(file) + ":" + std::to_string(line) + ": " + what + ": " +
                             cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
  }
}

}  // namespace wq::kernels

#define WQ_CUDA_CHECK(call) ::wq::kernels::cuda_check((call), #call, __FILE__, __LINE__)
// After a launch: catches bad configurations at once (asynchronous faults surface at the
// next synchronising call, which is checked too).
#define WQ_CUDA_CHECK_LAUNCH() ::wq::kernels::cuda_check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)
