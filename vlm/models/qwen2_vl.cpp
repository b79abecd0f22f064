// Qwen2-VL / Qwen2.5-VL video path (see qwen2_vl.h).
#include "vlm/models/qwen2_vl.h"

#include "vlm/models/safetensors.h"
#include "vlm/models/weights.h"

namespace wq::models {

namespace {

// The merged tokens must land in the LLM's width; `file` names the config in the error.
void check_widths(const Qwen2VLConfig& c, const std::string& file) {
  if (vision_output_width(c) != c.text.hidden_size)
    throw_checkpoint_error(file, "", "vision output width " + std::to_string(vision_output_width(c)) +
                                         " differs from the text hidden_size " +
                                         std::to_string(c.text.hidden_size));
}

}  // namespace

Qwen2VL::Qwen2VL(Qwen2VLConfig config, Qwen2Decoder llm, Qwen2VLVisionTower vision)
    : config_(std::move(config)), llm_(std::move(llm)), vision_(std::move(vision)) {}

Qwen2VL Qwen2VL::load(const std::string& folder, const LoadOptions& options) {
  const ModelConfig mc = load_model_config(folder);
  if (mc.model_type != "qwen2_vl" && mc.model_type != "qwen2_5_vl")
    throw_checkpoint_error(folder + "/config.json", "",
                           "model_type '" + mc.model_type + "' is not qwen2_vl or qwen2_5_vl");
  const auto& c = std::get<Qwen2VLConfig>(mc.family);
  check_widths(c, folder + "/config.json");
  const Checkpoint ckpt = Checkpoint::open(folder);
  const std::string text = pick_prefix(ckpt, {"model.", "model.language_model."}, "embed_tokens.weight");
  Qwen2Decoder llm = Qwen2Decoder::load(ckpt, c.text, text, "lm_head.weight", options);
  const std::string vis = pick_prefix(ckpt, {"visual.", "model.visual."}, "patch_embed.proj.weight");
  return Qwen2VL(c, std::move(llm), Qwen2VLVisionTower::load(ckpt, c, vis, options));
}

Qwen2VL Qwen2VL::random(const Qwen2VLConfig& c, const LoadOptions& options, std::uint64_t seed) {
  check_widths(c, "<config>");
  Qwen2Decoder llm = Qwen2Decoder::random(c.text, options, seed);
  RandomWeights r(options, seed + 1);
  return Qwen2VL(c, std::move(llm), Qwen2VLVisionTower::random(c, r));
}

std::int64_t Qwen2VL::video_token_count(const VideoGrid& grid) const {
  const auto m = config_.vision.spatial_merge_size;
  return grid.patches() / (m * m);
}

at::Tensor Qwen2VL::video_embeddings(const at::Tensor& pixel_values, const VideoGrid& grid) const {
  return vision_.forward(pixel_values, grid);
}

at::Tensor Qwen2VL::embed_prompt(const at::Tensor& ids, const at::Tensor& video_embeddings) const {
  TORCH_CHECK(ids.dim() == 2 && ids.size(0) == 1, "embed_prompt: ids must be [1, tokens]");
  at::Tensor embeds = llm_.embed(ids).clone();
  at::Tensor slots = (ids[0].to(at::kCPU) == config_.video_token_id).nonzero().flatten();
  TORCH_CHECK(slots.size(0) == video_embeddings.size(0), "embed_prompt: ", slots.size(0),
              " video placeholder tokens but ", video_embeddings.size(0), " video embeddings");
  if (slots.size(0) > 0)
    embeds[0].index_put_({slots.to(embeds.device())},
                         video_embeddings.to(embeds.device(), embeds.scalar_type()));
  return embeds;
}

RopeIndex Qwen2VL::rope_index(const at::Tensor& ids, const VideoGrid& grid,
                              double second_per_grid_t) const {
  TORCH_CHECK(ids.dim() == 2 && ids.size(0) == 1, "rope_index: ids must be [1, tokens]");
  const at::Tensor flat = ids[0].to(at::kCPU, at::kLong).contiguous();
  const std::int64_t* id = flat.data_ptr<std::int64_t>();
  const auto T = flat.size(0), m = config_.vision.spatial_merge_size;
  const auto rows = grid.h / m, cols = grid.w / m;
  const std::int64_t interval =
      config_.is_2_5
          ? static_cast<std::int64_t>(config_.vision.tokens_per_second * std::trunc(second_per_grid_t))
          : 1;
  at::Tensor positions = torch::empty({3, T}, torch::kLong);
  auto pos = positions.accessor<std::int64_t, 2>();
  std::int64_t next = 0;  // position of the next text token
  bool seen_video = false;
  for (std::int64_t i = 0; i < T;) {
    if (id[i] != config_.video_token_id) {
      pos[0][i] = pos[1][i] = pos[2][i] = next++;
      ++i;
      continue;
    }
    std::int64_t end = i;
    while (end < T && id[end] == config_.video_token_id) ++end;
    TORCH_CHECK(!seen_video && end - i == video_token_count(grid), "rope_index: expected one run of ",
                video_token_count(grid), " video placeholders, found ", end - i,
                seen_video ? " in a second run" : "");
    seen_video = true;
    for (std::int64_t t = 0; t < grid.t; ++t)
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) {
          const auto k = i + (t * rows + r) * cols + c;
          pos[0][k] = next + t * interval;
          pos[1][k] = next + r;
          pos[2][k] = next + c;
        }
    next += std::max(rows, cols);
    i = end;
  }
  const std::int64_t delta = T > 0 ? positions.max().item<std::int64_t>() + 1 - T : 0;
  // The prompt ends in text, whose three rows are equal: row 0 is its position.
  const std::int64_t generation_delta = T > 0 ? pos[0][T - 1] + 1 - T : 0;
  return {positions.unsqueeze(1), delta, generation_delta};
}

std::vector<std::int64_t> Qwen2VL::greedy_generate(const at::Tensor& prompt_embeds,
                                                   const RopeIndex& rope, std::int64_t max_new_tokens,
                                                   const std::vector<std::int64_t>& stop_ids) const {
  TORCH_CHECK(prompt_embeds.size(0) == 1, "greedy_generate: batch must be 1");
  const auto T = prompt_embeds.size(1);
  ForwardResult prefill = llm_.forward(prompt_embeds, nullptr, rope.positions);
  at::Tensor last = llm_.logits(prefill.hidden.select(1, T - 1));
  // Decoding steps use plain positions shifted by the rope delta: greedy_continue numbers
  // them from its cache_length argument.
  return llm_.greedy_continue(std::move(prefill.kv), T + rope.generation_delta, last, max_new_tokens, stop_ids);
}

}  // namespace wq::models
