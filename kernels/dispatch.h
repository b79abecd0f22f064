// Runtime values -> template parameters at one dispatch point (flashinfer's DISPATCH_HEAD_DIM,
// written as a function taking a lambda rather than a macro).
#pragma once

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace wq::kernels {

// Calls fn(std::integral_constant<int, D>{}) for the supported head dims; throws
// std::invalid_argument("unsupported head_dim: 96") otherwise.
template <class Fn>
decltype(auto) dispatch_head_dim(int head_dim, Fn&& fn) {
  switch (head_dim) {
    case 64: return fn(std::integral_constant<int, 64>{});
    case 128: return fn(std::integral_constant<int, 128>{});
    default: throw std::invalid_argument("unsupported head_dim: " + std::to_string(head_dim));
  }
}

// The CPU kernels' head dims: the GPU's, plus the small ones of the proxy models (16, 32), so
// that packed mode runs end to end on any CPU (the quickstart, CI).
template <class Fn>
decltype(auto) dispatch_cpu_head_dim(int head_dim, Fn&& fn) {
  switch (head_dim) {
    case 16: return fn(std::integral_constant<int, 16>{});
    case 32: return fn(std::integral_constant<int, 32>{});
    default: return dispatch_head_dim(head_dim, std::forward<Fn>(fn));
  }
}

}  // namespace wq::kernels
