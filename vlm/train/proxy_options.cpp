#include "vlm/train/proxy_options.h"

#include <yaml-cpp/yaml.h>

#include "core/config/config_error.h"
#include "core/config/param_spec.h"
#include "core/config/resolve_params.h"

namespace wq::train {
namespace {

int as_int(const Params& p, const char* key) { return static_cast<int>(p.get_int(key)); }

}  // namespace

ProxyTrainOptions load_proxy_train_options(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
  try {
    const Params top = resolve_params(
        {param_spec("out", ParamType::Path, "", "checkpoint folder"), param_spec("seed", ParamType::Int, "0", "seed", {}, 0),
         param_spec("device", ParamType::String, "cpu", "cpu | cuda | cuda:N"),
         param_spec("data", ParamType::Map, "{}", "synthetic data"), param_spec("model", ParamType::Map, "{}", "architecture"),
         param_spec("train", ParamType::Map, "{}", "schedule")},
        root, "train-proxy");
    ProxyTrainOptions o;
    o.out = top.get_string("out");
    o.seed = static_cast<std::uint64_t>(top.get_int("seed"));
    o.device = top.get_string("device");

    std::vector<ParamSpec> data_specs;
    for (ParamSpec s : synth_param_specs())
      if (s.name != "out" && s.name != "seed") data_specs.push_back(s);
    data_specs.push_back(param_spec("num_frames", ParamType::Int, "16", "frames per video the model sees", {}, 1));
    const Params data = resolve_params(data_specs, top.node("data"), "data");
    YAML::Node synth_values = YAML::Clone(data.values());
    synth_values["out"] = "";
    synth_values["seed"] = 0;
    o.data = synth_options_from(Params(synth_values, "data"));
    o.num_frames = as_int(data, "num_frames");

    const ProxyArchitecture d;
    auto int_spec = [](const char* name, int value, const char* help) {
      return param_spec(name, ParamType::Int, std::to_string(value), help, {}, 1);
    };
    const Params m = resolve_params(
        {int_spec("text_hidden", d.text_hidden, "decoder width"), int_spec("text_layers", d.text_layers, "decoder layers"),
         int_spec("text_heads", d.text_heads, "query heads"), int_spec("text_kv_heads", d.text_kv_heads, "KV heads"),
         int_spec("text_intermediate", d.text_intermediate, "SwiGLU width"),
         int_spec("vision_hidden", d.vision_hidden, "SigLIP width"), int_spec("vision_layers", d.vision_layers, "SigLIP layers"),
         int_spec("vision_heads", d.vision_heads, "SigLIP heads"),
         int_spec("vision_intermediate", d.vision_intermediate, "SigLIP MLP width"),
         int_spec("patch_size", d.patch_size, "SigLIP patch (frame size must be a multiple)"),
         int_spec("tokenizer_merges", d.tokenizer_merges, "BPE merges learned from the prompts"),
         param_spec("save_dtype", ParamType::String, "f32", "dtype of model.safetensors (training is fp32)",
                    {"f32", "bf16"})},
        top.node("model"), "model");
    auto& a = o.model;
    a.text_hidden = as_int(m, "text_hidden");
    a.text_layers = as_int(m, "text_layers");
    a.text_heads = as_int(m, "text_heads");
    a.text_kv_heads = as_int(m, "text_kv_heads");
    a.text_intermediate = as_int(m, "text_intermediate");
    a.vision_hidden = as_int(m, "vision_hidden");
    a.vision_layers = as_int(m, "vision_layers");
    a.vision_heads = as_int(m, "vision_heads");
    a.vision_intermediate = as_int(m, "vision_intermediate");
    a.patch_size = as_int(m, "patch_size");
    a.tokenizer_merges = as_int(m, "tokenizer_merges");
    o.save_dtype = m.get_string("save_dtype");
    if (a.text_hidden % a.text_heads || a.text_heads % a.text_kv_heads)
      m.fail("text_heads", "text_hidden must be a multiple of text_heads, and text_heads of text_kv_heads");
    if (a.vision_hidden % a.vision_heads) m.fail("vision_heads", "vision_hidden must be a multiple of it");
    if (o.data.width != o.data.height || o.data.width % a.patch_size)
      m.fail("patch_size", "frames must be square with a side that is a multiple of patch_size");

    const ProxyTrainOptions t0;
    const Params t = resolve_params(
        {int_spec("steps", t0.steps, "optimizer steps"), int_spec("batch_size", t0.batch_size, "questions per step"),
         param_spec("warmup_steps", ParamType::Int, std::to_string(t0.warmup_steps), "linear warm-up", {}, 0),
         param_spec("lr", ParamType::Float, "1e-3", "peak learning rate (cosine decay to 10 % over the steps or time_budget_s, whichever ends first)", {}, 0),
         param_spec("weight_decay", ParamType::Float, "0.01", "AdamW weight decay", {}, 0),
         param_spec("grad_clip", ParamType::Float, "1.0", "global gradient-norm clip", {}, 0),
         int_spec("eval_every", t0.eval_every, "steps between held-out evaluations"),
         int_spec("eval_questions", t0.eval_questions, "held-out questions per evaluation"),
         param_spec("time_budget_s", ParamType::Float, "0",
                    "training time over all calls (--resume); schedules end with it; 0 = none", {}, 0),
         param_spec("state_dtype", ParamType::String, "f32",
                    "dtype of the saved AdamW moments: f32 resumes bit-exact, bf16 halves them", {"f32", "bf16"}),
         param_spec("open_answer_fraction", ParamType::Float, "0.5",
                    "share of questions asked without options and answered with the option text", {}, 0, 1),
         param_spec("verify_fraction", ParamType::Float, "0",
                    "share asked with a supervised yes/no verdict after every option", {}, 0, 1),
         param_spec("curriculum_frames", ParamType::IntList, "[]",
                    "frames per video in equal-length stages (e.g. [4, 8, 16]); [] = data.num_frames throughout",
                    {}, 1, 256),
         param_spec("task_weights", ParamType::IntList, "[]",
                    "training questions per task in each round, aligned with data.tasks; [] = one each", {}, 1,
                    1000)},
        top.node("train"), "train");
    o.steps = as_int(t, "steps");
    o.batch_size = as_int(t, "batch_size");
    o.warmup_steps = as_int(t, "warmup_steps");
    o.lr = t.get_float("lr");
    o.weight_decay = t.get_float("weight_decay");
    o.grad_clip = t.get_float("grad_clip");
    o.eval_every = as_int(t, "eval_every");
    o.eval_questions = as_int(t, "eval_questions");
    o.time_budget_s = t.get_float("time_budget_s");
    o.state_dtype = t.get_string("state_dtype");
    o.open_answer_fraction = t.get_float("open_answer_fraction");
    o.verify_fraction = t.get_float("verify_fraction");
    for (const long long frames : t.get_int_list("curriculum_frames")) o.curriculum_frames.push_back(int(frames));
    for (const long long weight : t.get_int_list("task_weights")) o.task_weights.push_back(int(weight));
    if (!o.task_weights.empty() && o.task_weights.size() != o.data.tasks.size())
      t.fail("task_weights", "needs one weight per task of data.tasks (listed explicitly)");
    if (o.open_answer_fraction + o.verify_fraction > 1)
      t.fail("verify_fraction", "open_answer_fraction + verify_fraction must be at most 1");
    return o;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  } catch (const ConfigError& e) {  // cross-field checks (Params::fail)
    throw std::invalid_argument(path + ": " + e.what());
  }
}

}  // namespace wq::train
