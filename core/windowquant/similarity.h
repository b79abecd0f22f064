// WindowQuant module 1, second step: score every window against the query text. Three
// functions (methods.md): embedding_cosine (one score per window for all layers), key_query
// and attention_mass (per layer, from the probe queries).
#pragma once

#include <string>
#include <vector>

#include "core/method/context_description.h"
#include "core/cache/kv_cache.h"
#include "core/windowquant/windows.h"

namespace wq::windowquant {

enum class Similarity { embedding_cosine, key_query, attention_mass };

Similarity parse_similarity(const std::string& name);
// True when the scores differ per layer (then plans are per layer).
bool per_layer(Similarity similarity);

// Scores [rows][windows]: one row for embedding_cosine, one per layer otherwise.
//  embedding_cosine: cos(mean visual input embedding of the window, mean query embedding).
//  key_query:        per layer, mean over query heads h of cos(mean key of the window in KV
//                    head h / group, mean probe query of head h).
//  attention_mass:   per layer, probe attention mass on the window's tokens (ZipCache
//                    normalisation, methods::probe_attention_mass) divided by its size, so a
//                    short last window is not penalised for being short.
// Throws std::invalid_argument when the description lacks what the function needs.
std::vector<std::vector<double>> window_scores(Similarity similarity, const cache::FullKv& kv,
                                               const methods::ContextDescription& ctx, const std::vector<Window>& windows);

}  // namespace wq::windowquant
