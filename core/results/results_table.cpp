#include "core/results/results_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "core/results/results_file.h"

namespace wq {

namespace {

// Headline metrics in the order a reader compares methods: quality, then cost.
const std::vector<std::string>& preferred_metrics() {
  static const std::vector<std::string> names = {
      "accuracy",         "samples_failed",    "bits_nominal",      "bits_effective",           "kv_bytes",
      "kv_allocated_bytes", "peak_memory_bytes", "peak_method_memory_bytes", "t_prefill_ctx_ms_mean",
      "t_search_ms_mean", "t_quant_ms_mean",   "t_decode_per_token_ms_mean"};
  return names;
}

// Experiments without accuracy (kv_fidelity, kernel_perf, ...) still get their main numbers:
// up to this many further metrics, the ones most runs have, per-task breakdowns left out.
constexpr size_t kMaxOtherMetrics = 4;
constexpr size_t kMaxNameWidth = 48;
constexpr size_t kMaxErrorWidth = 120;

std::vector<std::string> choose_metric_columns(const std::vector<RunRecord>& runs) {
  std::vector<std::string> columns;
  std::map<std::string, size_t> counts;
  for (const auto& run : runs) {
    for (const auto& [name, value] : run.metrics) ++counts[name];
  }
  for (const auto& name : preferred_metrics()) {
    if (counts.count(name) != 0) columns.push_back(name);
  }
  if (counts.count("accuracy") == 0) {
    std::vector<std::pair<size_t, std::string>> others;
    for (const auto& [name, count] : counts) {
      const bool preferred = std::find(preferred_metrics().begin(), preferred_metrics().end(),
                                       name) != preferred_metrics().end();
      if (!preferred && name.find('/') == std::string::npos) others.emplace_back(count, name);
    }
    std::stable_sort(others.begin(), others.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t i = 0; i < others.size() && i < kMaxOtherMetrics; ++i) {
      columns.push_back(others[i].second);
    }
  }
  return columns;
}

std::string format_bytes(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t unit = 0;
  while (std::fabs(bytes) >= 1024.0 && unit + 1 < std::size(units)) {
    bytes /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.2f %s", bytes, units[unit]);
  return text;
}

std::string format_metric(const std::string& name, double value) {
  if (std::isnan(value)) return "nan";
  const bool is_bytes = name.size() >= 6 && name.compare(name.size() - 6, 6, "_bytes") == 0;
  if (is_bytes) return format_bytes(value);
  char text[32];
  std::snprintf(text, sizeof text, name == "accuracy" ? "%.4f" : "%.4g", value);
  return text;
}

// How a run's model read its compressed cache ("simulate", "packed/fused",
// "packed/dequantized"), so that no table mixes the attention paths silently; "-" when the
// run did not record it.
std::string cache_cell(const RunRecord& run) {
  const auto mode = run.metric_notes.find("cache_mode");
  if (mode == run.metric_notes.end()) return "-";
  const auto path = run.metric_notes.find("attention_path");
  if (mode->second != "packed" || path == run.metric_notes.end()) return mode->second;
  return mode->second + "/" + path->second;
}

std::string clip(const std::string& text, size_t width) {
  const std::string line = text.substr(0, text.find('\n'));
  if (line.size() <= width) return line;
  return line.substr(0, width - 3) + "...";
}

}  // namespace

std::string format_results_table(const Provenance& provenance, const std::vector<RunRecord>& runs) {
  std::map<RunStatus, size_t> by_status;
  for (const auto& run : runs) ++by_status[run.status];

  std::ostringstream out;
  out << "sweep " << (provenance.sweep_name.empty() ? "(unnamed)" : provenance.sweep_name) << ": "
      << runs.size() << " runs (" << by_status[RunStatus::Complete] << " complete, "
      << by_status[RunStatus::Partial] << " partial, " << by_status[RunStatus::Skipped] << " skipped, " << by_status[RunStatus::Failed] << " failed, "
      << by_status[RunStatus::Running] << " running)\n";
  out << "git " << provenance.git_commit.substr(0, 12) << (provenance.git_dirty ? "+dirty" : "")
      << "  host " << provenance.host << "  gpu " << provenance.gpu_name << "  updated "
      << provenance.updated_at << "\n";

  const std::vector<std::string> metrics = choose_metric_columns(runs);
  const bool cache_column = std::any_of(runs.begin(), runs.end(),
                                        [](const RunRecord& run) { return run.metric_notes.count("cache_mode") != 0; });
  std::vector<std::string> header = {"name", "method", "status"};
  if (cache_column) header.push_back("cache");
  const size_t text_columns = header.size();
  header.insert(header.end(), metrics.begin(), metrics.end());
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : runs) {
    std::vector<std::string> row = {clip(run.name.empty() ? run.run_id : run.name, kMaxNameWidth),
                                    run.method, run_status_name(run.status)};
    if (cache_column) row.push_back(cache_cell(run));
    for (const auto& metric : metrics) {
      auto it = run.metrics.find(metric);
      row.push_back(it == run.metrics.end() ? "-" : format_metric(metric, it->second));
    }
    rows.push_back(row);
  }

  std::vector<size_t> widths(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    widths[c] = header[c].size();
    for (const auto& row : rows) widths[c] = std::max(widths[c], row[c].size());
  }
  // Text columns align left, numbers right, as in any printed table.
  auto emit = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string padding(widths[c] - cells[c].size(), ' ');
      if (c > 0) line += "  ";
      line += c < text_columns ? cells[c] + padding : padding + cells[c];
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << "\n";
  };
  emit(header);
  std::vector<std::string> rule;
  for (size_t width : widths) rule.emplace_back(width, '-');
  emit(rule);
  for (const auto& row : rows) emit(row);

  for (const auto& run : runs) {
    if (run.status == RunStatus::Complete || run.status == RunStatus::Running) continue;
    out << run_status_name(run.status) << " " << clip(run.name.empty() ? run.run_id : run.name, kMaxNameWidth) << ": "
        << clip(run.error.empty() ? "(no error message)" : run.error, kMaxErrorWidth) << "\n";
  }
  return out.str();
}

std::string format_results_table(const std::string& path) {
  const ResultsFile file = ResultsFile::open_existing(path);
  return format_results_table(file.provenance(), file.read_runs(ReadDepth::Summary));
}

}  // namespace wq
