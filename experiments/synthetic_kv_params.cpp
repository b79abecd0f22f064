#include "experiments/synthetic_kv_params.h"

#include <cstdio>

namespace wq {

std::vector<ParamSpec> synthetic_kv_param_specs() {
  const SyntheticKvOptions d;
  auto integer = [](const char* name, int value, const char* help, double lo, double hi) {
    return ParamSpec{name, ParamType::Int, std::to_string(value), help, lo, hi, {}, false};
  };
  auto real = [](const char* name, double value, const char* help, double lo, double hi) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return ParamSpec{name, ParamType::Float, text, help, lo, hi, {}, false};
  };
  return {
      integer("layers", d.layers, "layers of the synthetic cache", 1, 256),
      integer("kv_heads", d.kv_heads, "KV heads per layer", 1, 128),
      integer("q_heads", d.q_heads, "query heads (multiple of kv_heads)", 1, 1024),
      integer("head_dim", d.head_dim, "head dimension", 8, 512),
      integer("hidden", d.hidden, "embedding width of the synthetic tokens", 8, 8192),
      integer("text_prefix", d.text_prefix, "system-prompt tokens before the video (token 0 is a sink)", 1, 4096),
      integer("frames", d.frames, "video frames", 1, 4096),
      integer("tokens_per_frame", d.tokens_per_frame, "visual tokens per frame", 1, 4096),
      integer("query_tokens", d.query_tokens, "tokens of the question", 1, 4096),
      integer("relevant_frames", d.relevant_frames, "frames the question is about (ground truth)", 1, 4096),
      integer("outlier_channels", d.outlier_channels, "key outlier channels per layer", 0, 512),
      real("outlier_scale", d.outlier_scale, "magnitude of key outlier channels relative to the rest", 1, 1000),
      real("frame_noise", d.frame_noise, "change between consecutive frames (0 = identical)", 0, 1),
      real("scene_cut_prob", d.scene_cut_prob, "probability that a frame starts a new scene", 0, 1),
      real("query_focus", d.query_focus, "how sharply the question attends to its relevant frames", 0, 100),
  };
}

SyntheticKvOptions synthetic_kv_options(const Params& p) {
  SyntheticKvOptions o;
  o.layers = int(p.get_int("layers"));
  o.kv_heads = int(p.get_int("kv_heads"));
  o.q_heads = int(p.get_int("q_heads"));
  o.head_dim = int(p.get_int("head_dim"));
  o.hidden = int(p.get_int("hidden"));
  o.text_prefix = int(p.get_int("text_prefix"));
  o.frames = int(p.get_int("frames"));
  o.tokens_per_frame = int(p.get_int("tokens_per_frame"));
  o.query_tokens = int(p.get_int("query_tokens"));
  o.relevant_frames = int(p.get_int("relevant_frames"));
  o.outlier_channels = int(p.get_int("outlier_channels"));
  o.outlier_scale = p.get_float("outlier_scale");
  o.frame_noise = p.get_float("frame_noise");
  o.scene_cut_prob = p.get_float("scene_cut_prob");
  o.query_focus = p.get_float("query_focus");
  if (o.q_heads % o.kv_heads != 0) p.fail("q_heads", "must be a multiple of kv_heads");
  if (o.relevant_frames > o.frames) p.fail("relevant_frames", "must not exceed frames");
  if (o.outlier_channels > o.head_dim) p.fail("outlier_channels", "must not exceed head_dim");
  return o;
}

}  // namespace wq
