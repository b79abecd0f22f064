// Plan validation and the trivial plans.
#include "core/cache/plan.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace wq::cache {

const LayerPlan& Plan::for_layer(int layer) const {
  if (layers.size() == 1) return layers[0];
  if (layer < 0 || static_cast<size_t>(layer) >= layers.size()) {
    throw std::out_of_range("Plan: no entry for layer " + std::to_string(layer) + " (plan has " +
                            std::to_string(layers.size()) + " layer entries; 1 = shared)");
  }
  return layers[layer];
}

namespace {

void validate_tensor_plan(const TensorPlan& plan, int head_dim, const std::string& where) {
  if (plan.parts.empty()) {
    quant::validate(plan.spec);
    return;
  }
  std::vector<int> seen(head_dim, 0);
  for (const ChannelPartSpec& part : plan.parts) {
    quant::validate(part.spec);
    if (part.channels.empty()) throw std::invalid_argument(where + ": empty channel part");
    for (size_t i = 0; i < part.channels.size(); ++i) {
      const int c = part.channels[i];
      if (c < 0 || c >= head_dim) {
        throw std::invalid_argument(where + ": channel " + std::to_string(c) + " outside [0, " +
                                    std::to_string(head_dim) + ")");
      }
      if (i > 0 && c <= part.channels[i - 1]) {
        throw std::invalid_argument(where + ": channel list must be strictly increasing");
      }
      ++seen[c];
    }
  }
  for (int c = 0; c < head_dim; ++c) {
    if (seen[c] != 1) {
      throw std::invalid_argument(where + ": channel parts must cover every channel once; channel " +
                                  std::to_string(c) + " appears " + std::to_string(seen[c]) + " times");
    }
  }
}

}  // namespace

void validate(const LayerPlan& plan, int tokens, int head_dim) {
  if (!plan.order.empty()) {
    if (plan.order.size() != static_cast<size_t>(tokens)) {
      throw std::invalid_argument("Plan: order has " + std::to_string(plan.order.size()) +
                                  " entries for " + std::to_string(tokens) + " tokens");
    }
    std::vector<char> seen(tokens, 0);
    for (int32_t o : plan.order) {
      if (o < 0 || o >= tokens || seen[o]) {
        throw std::invalid_argument("Plan: order is not a permutation of [0, " +
                                    std::to_string(tokens) + ") (bad or repeated " + std::to_string(o) + ")");
      }
      seen[o] = 1;
    }
  }
  std::vector<std::pair<int, int>> ranges;
  auto check_range = [&](int begin, int end, const std::string& what) {
    if (begin < 0 || end > tokens || begin >= end) {
      throw std::invalid_argument("Plan: " + what + " range [" + std::to_string(begin) + ", " +
                                  std::to_string(end) + ") is empty or outside [0, " +
                                  std::to_string(tokens) + ")");
    }
    ranges.emplace_back(begin, end);
  };
  for (size_t i = 0; i < plan.pieces.size(); ++i) {
    const PlanPiece& p = plan.pieces[i];
    const std::string what = "piece " + std::to_string(i);
    check_range(p.begin, p.end, what);
    validate_tensor_plan(p.key, head_dim, what + " key");
    validate_tensor_plan(p.value, head_dim, what + " value");
  }
  for (size_t i = 0; i < plan.interleaved.size(); ++i) {
    const InterleavedPiece& p = plan.interleaved[i];
    const std::string what = "interleaved piece " + std::to_string(i);
    check_range(p.begin, p.end, what);
    if (p.bits.size() != static_cast<size_t>(p.end - p.begin)) {
      throw std::invalid_argument("Plan: " + what + " has " + std::to_string(p.bits.size()) +
                                  " widths for " + std::to_string(p.end - p.begin) + " tokens");
    }
    for (QuantBits b : p.bits) {
      if (b == QuantBits::b1_58) {
        throw std::invalid_argument("Plan: " + what + ": ternary is not an interleaved width");
      }
    }
    if (p.group_size < 1 || head_dim % p.group_size != 0) {
      throw std::invalid_argument("Plan: " + what + ": group_size " + std::to_string(p.group_size) +
                                  " does not divide head_dim " + std::to_string(head_dim));
    }
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      throw std::invalid_argument("Plan: ranges [" + std::to_string(ranges[i - 1].first) + ", " +
                                  std::to_string(ranges[i - 1].second) + ") and [" +
                                  std::to_string(ranges[i].first) + ", " +
                                  std::to_string(ranges[i].second) + ") overlap");
    }
  }
  if (!(plan.side_bits_per_head >= 0)) throw std::invalid_argument("Plan: side_bits_per_head < 0");
  for (const PlanPiece& piece : plan.pieces)
    if (plan.key_channel_norm && piece.key.spec.transform != quant::Transform::none)
      throw std::invalid_argument("Plan: key_channel_norm with a channel transform of the keys in [" +
                                  std::to_string(piece.begin) + ", " + std::to_string(piece.end) + ")");
}

Plan full_precision_plan() {
  Plan plan;
  plan.layers.emplace_back();
  return plan;
}

LayerPlan uniform_layer_plan(int begin, int end, const QuantSpec& key_spec,
                             const QuantSpec& value_spec) {
  LayerPlan plan;
  PlanPiece piece;
  piece.begin = begin;
  piece.end = end;
  piece.key.spec = key_spec;
  piece.value.spec = value_spec;
  plan.pieces.push_back(piece);
  return plan;
}

std::vector<StoredRange> stored_ranges(const LayerPlan& plan, int tokens) {
  std::vector<StoredRange> pieces;
  for (const PlanPiece& p : plan.pieces) pieces.push_back({p.begin, p.end, &p, nullptr});
  for (const InterleavedPiece& p : plan.interleaved) pieces.push_back({p.begin, p.end, nullptr, &p});
  std::sort(pieces.begin(), pieces.end(), [](const StoredRange& a, const StoredRange& b) { return a.begin < b.begin; });
  std::vector<StoredRange> out;
  int cursor = 0;
  for (const StoredRange& r : pieces) {
    if (cursor < r.begin) out.push_back({cursor, r.begin, nullptr, nullptr});
    out.push_back(r);
    cursor = r.end;
  }
  if (cursor < tokens) out.push_back({cursor, tokens, nullptr, nullptr});
  return out;
}

}  // namespace wq::cache
