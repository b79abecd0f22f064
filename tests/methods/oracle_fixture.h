// Reader of tests/data/oracle/{kivi,vidkv}.{json,bin} (format in tests/data/oracle/README.md).
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/cache/kv_cache.h"
#include "core/quant/half.h"

namespace wq::methods::testing {

struct OracleTensor {
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  size_t numel() const {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    return n;
  }
  std::vector<float> f32() const {  // f16 or f32 as float
    std::vector<float> out(numel());
    for (size_t i = 0; i < out.size(); ++i) {
      if (dtype == "f16") {
        uint16_t h;
        std::memcpy(&h, bytes.data() + 2 * i, 2);
        out[i] = quant::half_to_float(h);
      } else {
        std::memcpy(&out[i], bytes.data() + 4 * i, 4);
      }
    }
    return out;
  }
  std::vector<uint16_t> u16() const {
    std::vector<uint16_t> out(numel());
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  std::vector<int32_t> i32() const {
    std::vector<int32_t> out(numel());
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
};

struct OracleCase {
  nlohmann::json params;
  std::map<std::string, OracleTensor> tensors;
  const OracleTensor& at(const std::string& name) const {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw std::out_of_range("oracle tensor missing: " + name);
    return it->second;
  }
  bool has(const std::string& name) const { return tensors.count(name) > 0; }
};

struct OracleFile {
  nlohmann::json index;
  std::map<std::string, OracleCase> cases;
};

inline std::string oracle_path(const std::string& file) { return std::string(WQ_TEST_DATA_DIR) + "/oracle/" + file; }

// Empty cases when the files are missing (the caller skips with the reason).
inline OracleFile load_oracle(const std::string& stem) {
  OracleFile out;
  std::ifstream json_in(oracle_path(stem + ".json"));
  std::ifstream blob_in(oracle_path(stem + ".bin"), std::ios::binary);
  if (!json_in || !blob_in) return out;
  json_in >> out.index;
  const std::vector<uint8_t> blob((std::istreambuf_iterator<char>(blob_in)), std::istreambuf_iterator<char>());
  for (const auto& [name, c] : out.index["cases"].items()) {
    OracleCase oc;
    oc.params = c["params"];
    for (const auto& [tname, t] : c["tensors"].items()) {
      OracleTensor tensor;
      tensor.dtype = t["dtype"].get<std::string>();
      tensor.shape = t["shape"].get<std::vector<int64_t>>();
      const size_t offset = t["offset"].get<size_t>(), nbytes = t["nbytes"].get<size_t>();
      tensor.bytes.assign(blob.begin() + static_cast<std::ptrdiff_t>(offset), blob.begin() + static_cast<std::ptrdiff_t>(offset + nbytes));
      oc.tensors.emplace(tname, std::move(tensor));
    }
    out.cases.emplace(name, std::move(oc));
  }
  return out;
}

// [1][H][T][D] fp16 tensors -> a one-layer FullKv.
inline cache::FullKv full_kv_from(const OracleTensor& keys, const OracleTensor& values) {
  const int h = static_cast<int>(keys.shape[1]), t = static_cast<int>(keys.shape[2]), d = static_cast<int>(keys.shape[3]);
  cache::FullKv kv(1, h, t, d);
  kv.k = keys.f32();
  kv.v = values.f32();
  return kv;
}

// One fp16 unit in the last place at |x| (subnormal spacing near 0).
inline float half_ulp(float x) {
  const float a = std::max(std::fabs(x), 6.103515625e-05f);
  return std::ldexp(1.0f, static_cast<int>(std::floor(std::log2(a))) - 10);
}

}  // namespace wq::methods::testing
