#include <fstream>

#include <nlohmann/json.hpp>

#include "datasets/mvbench/mvbench_dataset.h"

namespace wq {

const std::vector<MvbenchTask>& mvbench_official_tasks() {
  using K = SourceKind;
  // Ask-Anything video_chat2/mvbench.ipynb `data_list` (prefix without "your_data_path/";
  // the notebook's "pyour_data_path" typo for Fine-grained Action is dropped) and the
  // folders of lmms-eval's mvbench utils.py DATA_LIST, which holds pre-cut clips: lmms-eval
  // reads Episodic Reasoning as videos and never applies start/end.
  static const std::vector<MvbenchTask> tasks = {
      {"action_sequence", "Action Sequence", "action_sequence.json", "star/Charades_v1_480", "star/Charades_segment", K::VideoFile, K::VideoFile, true},
      {"action_prediction", "Action Prediction", "action_prediction.json", "star/Charades_v1_480", "star/Charades_segment", K::VideoFile, K::VideoFile, true},
      {"action_antonym", "Action Antonym", "action_antonym.json", "ssv2_video", "ssv2_video_mp4", K::VideoFile, K::VideoFile, false},
      {"fine_grained_action", "Fine-grained Action", "fine_grained_action.json", "Moments_in_Time_Raw/videos", "Moments_in_Time_Raw/videos", K::VideoFile, K::VideoFile, false},
      {"unexpected_action", "Unexpected Action", "unexpected_action.json", "FunQA_test/test", "FunQA_test/test", K::VideoFile, K::VideoFile, false},
      {"object_existence", "Object Existence", "object_existence.json", "clevrer/video_validation", "clevrer/video_validation", K::VideoFile, K::VideoFile, false},
      {"object_interaction", "Object Interaction", "object_interaction.json", "star/Charades_v1_480", "star/Charades_segment", K::VideoFile, K::VideoFile, true},
      {"object_shuffle", "Object Shuffle", "object_shuffle.json", "perception/videos", "perception/videos", K::VideoFile, K::VideoFile, false},
      {"moving_direction", "Moving Direction", "moving_direction.json", "clevrer/video_validation", "clevrer/video_validation", K::VideoFile, K::VideoFile, false},
      {"action_localization", "Action Localization", "action_localization.json", "sta/sta_video", "sta/sta_video_segment", K::VideoFile, K::VideoFile, true},
      {"scene_transition", "Scene Transition", "scene_transition.json", "scene_qa/video", "scene_qa/video", K::VideoFile, K::VideoFile, false},
      {"action_count", "Action Count", "action_count.json", "perception/videos", "perception/videos", K::VideoFile, K::VideoFile, false},
      {"moving_count", "Moving Count", "moving_count.json", "clevrer/video_validation", "clevrer/video_validation", K::VideoFile, K::VideoFile, false},
      {"moving_attribute", "Moving Attribute", "moving_attribute.json", "clevrer/video_validation", "clevrer/video_validation", K::VideoFile, K::VideoFile, false},
      {"state_change", "State Change", "state_change.json", "perception/videos", "perception/videos", K::VideoFile, K::VideoFile, false},
      {"fine_grained_pose", "Fine-grained Pose", "fine_grained_pose.json", "nturgbd", "nturgbd_convert", K::VideoFile, K::VideoFile, false},
      {"character_order", "Character Order", "character_order.json", "perception/videos", "perception/videos", K::VideoFile, K::VideoFile, false},
      {"egocentric_navigation", "Egocentric Navigation", "egocentric_navigation.json", "vlnqa", "vlnqa", K::VideoFile, K::VideoFile, false},
      {"episodic_reasoning", "Episodic Reasoning", "episodic_reasoning.json", "tvqa/frames_fps3_hq", "tvqa/video_fps3_hq_segment", K::FrameFolder, K::VideoFile, true},
      {"counterfactual_inference", "Counterfactual Inference", "counterfactual_inference.json", "clevrer/video_validation", "clevrer/video_validation", K::VideoFile, K::VideoFile, false},
  };
  return tasks;
}

std::vector<MvbenchTask> read_task_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw DatasetError(path + ": cannot open task table");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
    std::vector<MvbenchTask> out;
    for (const auto& item : doc.at("tasks")) {
      MvbenchTask task;
      task.id = item.at("id").get<std::string>();
      task.title = item.value("title", task.id);
      task.json_file = item.value("json", task.id + ".json");
      task.prefix = item.at("prefix").get<std::string>();
      task.lmms_prefix = item.value("lmms_prefix", task.prefix);
      task.source = parse_source_kind(item.value("data_type", std::string("video")));
      task.lmms_source = parse_source_kind(item.value("lmms_data_type", std::string(source_kind_name(task.source))));
      task.bound = item.value("bound", false);
      out.push_back(task);
    }
    if (out.empty()) throw DatasetError(path + ": task table lists no tasks");
    return out;
  } catch (const nlohmann::json::exception& e) {
    throw DatasetError(path + ": bad task table (" + e.what() + ")");
  } catch (const std::invalid_argument& e) {
    throw DatasetError(path + ": " + e.what());
  }
}

}  // namespace wq
