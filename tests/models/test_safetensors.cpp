// Safetensors loading: well-formed files of every float dtype, and one deliberately broken
// file per failure mode, each of which must fail with a one-line error naming the file and
// (where there is one) the tensor.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "vlm/models/model_config.h"
#include "vlm/models/safetensors.h"

namespace fs = std::filesystem;
using namespace wq::models;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("wq_models_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Writes header length (little-endian), the header text verbatim, then the data bytes.
void write_raw(const fs::path& path, const std::string& header, const std::string& data,
               std::uint64_t declared_length = UINT64_MAX) {
  std::ofstream out(path, std::ios::binary);
  std::uint64_t n = declared_length == UINT64_MAX ? header.size() : declared_length;
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header << data;
}

std::string bytes_of(const void* p, std::size_t n) { return std::string(static_cast<const char*>(p), n); }

// A valid two-tensor file: "a" F32 [2] = {1, -2}, "b" F16 [1] = {1.5}.
const std::string kGoodHeader =
    R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
    R"("b":{"dtype":"F16","shape":[1],"data_offsets":[8,10]}})";
std::string good_data() {
  const float a[2] = {1.0f, -2.0f};
  const std::uint16_t b = 0x3E00;  // 1.5 in IEEE half
  return bytes_of(a, 8) + bytes_of(&b, 2);
}

// Runs `fn`, expects a CheckpointError whose single-line message has every `needle`.
template <class Fn>
void expect_error(Fn fn, const std::vector<std::string>& needles) {
  try {
    fn();
    FAIL() << "no error thrown";
  } catch (const CheckpointError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& needle : needles) EXPECT_NE(msg.find(needle), std::string::npos) << msg << " lacks " << needle;
  }
}

}  // namespace

TEST(Safetensors, ReadsF32F16Bf16AndMetadata) {
  auto dir = temp_dir("good");
  const float a[2] = {1.0f, -2.0f};
  const std::uint16_t half = 0x3E00, bf16[2] = {0xC000, 0x3F80};  // 1.5; -2.0, 1.0
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F16","shape":[1],"data_offsets":[8,10]},)"
      R"("c":{"dtype":"BF16","shape":[1,2],"data_offsets":[10,14]}})";
  write_raw(dir / "x.safetensors", header, bytes_of(a, 8) + bytes_of(&half, 2) + bytes_of(bf16, 4));
  auto file = SafetensorsFile::open((dir / "x.safetensors").string());
  EXPECT_EQ(file->header().metadata.at("format"), "pt");
  at::Tensor ta = file->tensor("a"), tb = file->tensor("b"), tc = file->tensor("c");
  EXPECT_EQ(ta.scalar_type(), at::kFloat);
  EXPECT_EQ(tb.scalar_type(), at::kHalf);
  EXPECT_EQ(tc.scalar_type(), at::kBFloat16);
  EXPECT_EQ(tc.sizes(), at::IntArrayRef({1, 2}));
  EXPECT_FLOAT_EQ(ta[1].item<float>(), -2.0f);
  EXPECT_FLOAT_EQ(tb[0].item().toFloat(), 1.5f);
  EXPECT_FLOAT_EQ(tc[0][0].item().toFloat(), -2.0f);
  EXPECT_FLOAT_EQ(tc[0][1].item().toFloat(), 1.0f);
  // Misaligned data (BF16 at odd offset 10 is 2-aligned; F32 "a" at 0): copy-on-write
  // mapping, so writing into a tensor must not touch the file.
  ta.mul_(3);
  auto again = SafetensorsFile::open((dir / "x.safetensors").string());
  EXPECT_FLOAT_EQ(again->tensor("a")[0].item<float>(), 1.0f);
}

TEST(Safetensors, TruncatedFileNamesTensor) {
  auto dir = temp_dir("trunc");
  std::string data = good_data();
  write_raw(dir / "t.safetensors", kGoodHeader, data.substr(0, 9));  // "b" loses a byte
  expect_error([&] { SafetensorsFile::open((dir / "t.safetensors").string()); },
               {"t.safetensors", "'b'", "past the data section"});
}

TEST(Safetensors, HeaderLengthPastEndOfFile) {
  auto dir = temp_dir("hlen");
  write_raw(dir / "h.safetensors", kGoodHeader, good_data(), 1u << 20);
  expect_error([&] { SafetensorsFile::open((dir / "h.safetensors").string()); },
               {"h.safetensors", "truncated"});
  std::ofstream(dir / "tiny.safetensors") << "abc";
  expect_error([&] { SafetensorsFile::open((dir / "tiny.safetensors").string()); },
               {"tiny.safetensors", "truncated"});
}

TEST(Safetensors, HeaderLyingAboutOffsets) {
  auto dir = temp_dir("lie");
  const std::string data = good_data();
  // Size does not match dtype x shape.
  write_raw(dir / "size.safetensors",
            R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[1],"data_offsets":[8,10]}})",
            data);
  expect_error([&] { SafetensorsFile::open((dir / "size.safetensors").string()); },
               {"size.safetensors", "'a'", "byte size 8 != F32 size x shape = 12"});
  // Overlapping tensors.
  write_raw(dir / "overlap.safetensors",
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[1],"data_offsets":[6,8]}})",
            data.substr(0, 8));
  expect_error([&] { SafetensorsFile::open((dir / "overlap.safetensors").string()); },
               {"overlap.safetensors", "overlaps"});
  // begin > end.
  write_raw(dir / "order.safetensors",
            R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", data);
  expect_error([&] { SafetensorsFile::open((dir / "order.safetensors").string()); },
               {"order.safetensors", "'a'", "begin 8 > end 0"});
  // Unknown dtype and negative shape.
  write_raw(dir / "dtype.safetensors", R"({"a":{"dtype":"F8_E9","shape":[2],"data_offsets":[0,8]}})",
            data.substr(0, 8));
  expect_error([&] { SafetensorsFile::open((dir / "dtype.safetensors").string()); },
               {"'a'", "unsupported dtype 'F8_E9'"});
  write_raw(dir / "neg.safetensors", R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
            data.substr(0, 8));
  expect_error([&] { SafetensorsFile::open((dir / "neg.safetensors").string()); },
               {"'a'", "non-negative"});
  // Shape product overflowing 64 bits.
  write_raw(dir / "ovf.safetensors",
            R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
            data.substr(0, 8));
  expect_error([&] { SafetensorsFile::open((dir / "ovf.safetensors").string()); },
               {"'a'", "overflows"});
}

TEST(Safetensors, RejectsInvalidUtf8AndNonObjects) {
  auto dir = temp_dir("utf8");
  std::string header = R"({"a\xff":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  write_raw(dir / "u.safetensors", header, good_data().substr(0, 8));
  expect_error([&] { SafetensorsFile::open((dir / "u.safetensors").string()); },
               {"u.safetensors", "UTF-8 JSON"});
  write_raw(dir / "arr.safetensors", "[1,2]", "");
  expect_error([&] { SafetensorsFile::open((dir / "arr.safetensors").string()); },
               {"arr.safetensors", "not an object"});
}

TEST(Checkpoint, MissingTensorAndShapeMismatch) {
  auto dir = temp_dir("ckpt");
  write_raw(dir / "model.safetensors", kGoodHeader, good_data());
  Checkpoint ckpt = Checkpoint::open(dir.string());
  EXPECT_TRUE(ckpt.contains("a"));
  EXPECT_EQ(ckpt.get("a", {2}).size(0), 2);
  expect_error([&] { ckpt.get("model.norm.weight"); },
               {"model.safetensors", "'model.norm.weight'", "missing tensor"});
  expect_error([&] { ckpt.get("a", {3, 1}); },
               {"model.safetensors", "'a'", "shape mismatch: expected [3, 1], stored [2]"});
}

TEST(Checkpoint, ShardedIndexMustMatchShards) {
  auto dir = temp_dir("shards");
  write_raw(dir / "model-00001-of-00002.safetensors",
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", good_data().substr(0, 8));
  write_raw(dir / "model-00002-of-00002.safetensors",
            R"({"b":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}})", good_data().substr(8));
  std::ofstream(dir / "model.safetensors.index.json")
      << R"({"metadata":{"total_size":10},"weight_map":{"a":"model-00001-of-00002.safetensors",)"
      << R"("b":"model-00002-of-00002.safetensors"}})";
  Checkpoint ckpt = Checkpoint::open(dir.string());
  EXPECT_FLOAT_EQ(ckpt.get("b")[0].item().toFloat(), 1.5f);
  EXPECT_NE(ckpt.file_of("b").find("model-00002-of-00002"), std::string::npos);
  // The index promises a tensor its shard lacks.
  std::ofstream(dir / "model.safetensors.index.json", std::ios::trunc)
      << R"({"weight_map":{"a":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}})";
  expect_error([&] { Checkpoint::open(dir.string()); },
               {"model-00002-of-00002.safetensors", "'c'", "missing tensor"});
  // An index must not point outside its folder.
  std::ofstream(dir / "model.safetensors.index.json", std::ios::trunc)
      << R"({"weight_map":{"a":"../evil.safetensors"}})";
  expect_error([&] { Checkpoint::open(dir.string()); },
               {"model.safetensors.index.json", "'a'", "not a plain file name"});
}

TEST(Checkpoint, ReadsTransformersShardedFixture) {
  const std::string dir = std::string(WQ_TEST_DATA_DIR) + "/models/qwen2";
  Checkpoint ckpt = Checkpoint::open(dir);
  // Written by save_pretrained(max_shard_size="60KB"): 8 shards, tied lm_head dropped.
  EXPECT_TRUE(ckpt.contains("model.layers.2.self_attn.k_proj.bias"));
  EXPECT_FALSE(ckpt.contains("lm_head.weight"));
  EXPECT_EQ(ckpt.get("model.embed_tokens.weight").sizes(), at::IntArrayRef({96, 64}));
}

TEST(ModelConfig, UnsupportedArchitecture) {
  expect_error([] { parse_model_config(R"({"model_type":"llama","hidden_size":8})", "/m/config.json"); },
               {"/m/config.json", "unsupported architecture", "'llama'"});
  expect_error([] { parse_model_config(R"({"model_type":"qwen2","hidden_size":8})", "/m/config.json"); },
               {"/m/config.json", "'vocab_size' is missing"});
}
