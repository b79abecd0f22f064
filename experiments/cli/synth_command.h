// `wq synth --out DIR --seed S [key=value ...]`: writes the synthetic video-QA benchmark.
#pragma once

#include <string>
#include <vector>

namespace wq {

// settings: "key=value" pairs of the generator's parameters (wq synth --help lists them).
// Throws ConfigError for unknown keys and bad values. Returns a one-line summary.
std::string run_synth_command(const std::string& out_dir, long long seed, const std::vector<std::string>& settings);

// The generator's parameters, one per line, for --help.
std::string synth_parameter_help();

}  // namespace wq
