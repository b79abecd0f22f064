// LLaVA-OneVision behind the VideoLm interface: the checkpoint's video processor settings,
// SigLIP + projector + pooling + one newline embedding, and the llava_onevision chat template.
// Visual token j of a video is frame j / tokens_per_frame; the trailing newline embedding
// counts as a visual token of the last frame (spatial index one past its grid).
#pragma once

#include "vlm/eval/video_lm.h"
#include "vlm/models/llava_onevision.h"
#include "vlm/models/video_preprocess.h"

namespace wq::eval {

class LlavaOnevisionLm : public VideoLm {
 public:
  explicit LlavaOnevisionLm(const ModelOptions& options);
  // An already built model (the proxy trainer's, whose weights are being trained).
  LlavaOnevisionLm(models::LlavaOnevision model, models::VideoProcessorConfig processor,
                   tokenizer::Tokenizer tokenizer);

  std::string family() const override { return "llava_onevision"; }
  const models::Qwen2Decoder& llm() const override;
  const tokenizer::Tokenizer& tokenizer() const override { return tokenizer_; }
  EncodedVideo encode_video(const at::Tensor& frames) const override;
  VideoPrompt build_prompt(const PromptParts& parts, const EncodedVideo& video) const override;
  at::Tensor embed(const std::vector<std::int64_t>& ids, const EncodedVideo& video) const override;
  std::vector<std::int64_t> stop_ids() const override;

  const models::LlavaOnevision& model() const { return model_; }
  const models::VideoProcessorConfig& processor() const { return processor_; }
  // The EncodedVideo of `frames` frames whose video_embeddings (newline included) are given.
  EncodedVideo describe_video(at::Tensor embeddings, std::int64_t frames) const;

 private:
  models::LlavaOnevision model_;
  models::VideoProcessorConfig processor_;
  tokenizer::Tokenizer tokenizer_;
};

}  // namespace wq::eval
