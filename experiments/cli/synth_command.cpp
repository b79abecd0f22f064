#include "experiments/cli/synth_command.h"

#include "core/config/config_error.h"
#include "core/config/params.h"
#include "core/config/source_map.h"
#include "core/config/validate.h"
#include "datasets/synth/synth.h"

namespace wq {

std::string run_synth_command(const std::string& out_dir, long long seed, const std::vector<std::string>& settings) {
  YAML::Node values(YAML::NodeType::Map);
  SourceMap sources;
  std::vector<std::string> errors;
  for (const auto& setting : settings) {
    const auto equals = setting.find('=');
    if (equals == std::string::npos || equals == 0) {
      errors.push_back(format_config_error(kCommandLineOrigin, setting, "not a key=value pair", "e.g. frames_max=64"));
      continue;
    }
    const std::string key = setting.substr(0, equals);
    values[key] = YAML::Load(setting.substr(equals + 1));
    sources.set("synth." + key, kCommandLineOrigin);
  }
  values["out"] = out_dir;
  values["seed"] = seed;
  ValidationContext context;
  validate_params(values, synth_param_specs(), "synth", sources, context, errors);
  if (!errors.empty()) throw ConfigError(errors);
  const SynthResult result = generate_synthetic(synth_options_from(Params(values, "synth", &sources)));
  return std::to_string(result.questions) + " questions in " + std::to_string(result.tasks.size()) +
         " tasks, " + std::to_string(result.frames_written) + " frames -> " + result.task_table;
}

std::string synth_parameter_help() {
  std::string text = "generator parameters (key=value):\n";
  for (const auto& spec : synth_param_specs()) {
    if (spec.name == "out" || spec.name == "seed") continue;
    text += "  " + spec.name + " (default " + spec.default_yaml + "): " + spec.help + "\n";
  }
  return text;
}

}  // namespace wq
