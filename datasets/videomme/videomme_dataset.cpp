#include "datasets/videomme/videomme_dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "datasets/param_spec.h"

namespace wq {
namespace fs = std::filesystem;

const char* const kVideommeInstruction =
    "Select the best answer to the following multiple-choice question based on the video and "
    "the subtitles. Respond with only the letter (A, B, C, or D) of the correct option.";
const char* const kVideommePostPrompt = "\nAnswer with the option's letter from the given choices directly.";

namespace {

const std::vector<std::string> kBuckets = {"short", "medium", "long"};

// The HF release is parquet; we read its rows exported as a JSON list or JSON lines
// (docs/datasets.md shows the one-line pandas conversion).
nlohmann::json read_rows(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DatasetError(path + ": cannot open VideoMME annotations");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  try {
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '[') return nlohmann::json::parse(text);
    nlohmann::json rows = nlohmann::json::array();
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line))
      if (line.find_first_not_of(" \t\r") != std::string::npos) rows.push_back(nlohmann::json::parse(line));
    return rows;
  } catch (const nlohmann::json::exception& e) {
    throw DatasetError(path + ": invalid JSON (" + e.what() + ")");
  }
}

std::string scalar_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

VideommeDataset::VideommeDataset(VideommeOptions options) : options_(std::move(options)) {
  if (options_.root.empty()) throw DatasetError("videomme: dataset.root is not set");
  for (const std::string& d : options_.durations)
    if (std::find(kBuckets.begin(), kBuckets.end(), d) == kBuckets.end())
      throw DatasetError("videomme: unknown duration '" + d + "' (short | medium | long)");
  sampling_.rule = SamplingRule::Linspace;
  sampling_.num_frames = options_.num_frames;
  sampling_.use_bounds = false;

  const std::string path = (fs::path(options_.root) / options_.annotations).string();
  const nlohmann::json rows = read_rows(path);
  size_t index = 0;
  for (const auto& row : rows) {
    ++index;
    try {
      Sample s;
      s.duration_bucket = row.at("duration").get<std::string>();
      if (!options_.durations.empty() &&
          std::find(options_.durations.begin(), options_.durations.end(), s.duration_bucket) == options_.durations.end())
        continue;
      s.sample_id = scalar_text(row.at("question_id"));
      s.task = s.duration_bucket;
      s.video_id = row.at("videoID").get<std::string>();
      // videomme_doc_to_visual: data/<videoID>.mp4, else .MP4, else .mkv.
      const fs::path base = fs::path(options_.root) / options_.video_dir;
      s.video_path = (base / (s.video_id + ".mp4")).string();
      for (const char* ext : {".mp4", ".MP4", ".mkv"})
        if (fs::exists(base / (s.video_id + ext))) {
          s.video_path = (base / (s.video_id + ext)).string();
          break;
        }
      s.question = row.at("question").get<std::string>();
      s.candidates = row.at("options").get<std::vector<std::string>>();
      s.answer_letter = row.at("answer").get<std::string>();
      for (const std::string& option : s.candidates)
        if (option.rfind(s.answer_letter + ".", 0) == 0) s.answer_text = option;
      for (const char* key : {"domain", "sub_category", "task_type", "video_id", "url"})
        if (row.contains(key)) s.extra[key] = scalar_text(row[key]);
      samples_.push_back(std::move(s));
    } catch (const nlohmann::json::exception& e) {
      throw DatasetError(path + ": row " + std::to_string(index) + ": " + e.what());
    }
    if (options_.limit > 0 && samples_.size() >= static_cast<size_t>(options_.limit)) break;
  }
  if (options_.max_samples > 0) keep_round_robin(static_cast<size_t>(options_.max_samples));
}

std::vector<std::string> VideommeDataset::tasks() const {
  std::vector<std::string> out;
  for (const std::string& bucket : kBuckets)
    if (std::any_of(samples_.begin(), samples_.end(), [&](const Sample& s) { return s.duration_bucket == bucket; }))
      out.push_back(bucket);
  return out;
}

PromptParts VideommeDataset::prompt(const Sample& sample) const {
  // videomme_doc_to_text: option_prompt + "\n" + question + "\n" + "\n".join(options)
  // + "\n" + post_prompt (lmms_eval_specific_kwargs.default).
  std::string options;
  for (size_t i = 0; i < sample.candidates.size(); ++i) options += (i ? "\n" : "") + sample.candidates[i];
  PromptParts parts;
  parts.user = std::string(kVideommeInstruction) + "\n" + sample.question + "\n" + options + "\n" + kVideommePostPrompt;
  return parts;
}

Score VideommeDataset::score(const Sample& sample, const std::string& generated) const {
  Score s;
  s.parsed = options_.parsing == VideommeParsing::LmmsEval ? videomme_extract_letter(generated)
                                                            : mcq_extract_letter(generated);
  // pred_ans.lower() == gt_ans.lower(); every question counts (an empty reply is wrong).
  std::string a = s.parsed, b = sample.answer_letter;
  for (char& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  s.correct = a == b;
  return s;
}

namespace {
std::vector<ParamSpec> videomme_specs() {
  std::vector<ParamSpec> specs = {
      dataset_param("root", ParamType::Path, "", "Video-MME root (annotations + data/)"),
      dataset_param("annotations", ParamType::String, "videomme.json", "rows of the HF parquet as JSON / JSONL, under root"),
      dataset_param("video_dir", ParamType::String, "data", "video folder under root"),
      dataset_param("durations", ParamType::StringList, "[]", "buckets to run; [] = all", {"short", "medium", "long"}),
      dataset_param("num_frames", ParamType::Int, "32", "uniform frames per video (lmms-eval default 32)", {}, 1, 4096),
      dataset_param("parsing", ParamType::String, "lmms_eval", "answer extraction", {"lmms_eval", "mcq_extract"}),
      dataset_param("subtitles", ParamType::Bool, "false", "subtitle prompt (not implemented: must stay false)"),
      dataset_param("limit", ParamType::Int, "0", "first N questions; 0 = all", {}, 0, std::nullopt),
  };
  for (ParamSpec& spec : sample_count_params()) specs.push_back(std::move(spec));
  return specs;
}

std::unique_ptr<Dataset> make_videomme(const Params& params) {
  if (params.get_bool("subtitles")) params.fail("subtitles", "the subtitle prompt is not implemented yet");
  VideommeOptions o;
  o.root = params.get_string("root");
  o.annotations = params.get_string("annotations");
  o.video_dir = params.get_string("video_dir");
  o.durations = params.get_string_list("durations");
  o.num_frames = static_cast<int>(params.get_int("num_frames"));
  o.parsing = params.get_string("parsing") == "mcq_extract" ? VideommeParsing::McqExtract : VideommeParsing::LmmsEval;
  o.limit = static_cast<int>(params.get_int("limit"));
  o.max_samples = static_cast<int>(params.get_int("max_samples"));
  return std::make_unique<VideommeDataset>(o);
}

const Registration<Dataset> videomme_registration{{
    "videomme",
    "Video-MME (lmms-eval videomme task: prompt, letter parsing, duration buckets; no subtitles)",
    videomme_specs(),
    make_videomme,
    inspect_by_building(make_videomme),
}};
}  // namespace

}  // namespace wq
