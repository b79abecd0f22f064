// Unicode Normalization Form C (UAX #15), the normalizer Qwen's tokenizer.json declares.
// Self-contained (no ICU): tables generated from Python's unicodedata by gen_nfc_tables.py.
#pragma once

#include <string>
#include <string_view>

namespace wq::tokenizer {

// NFC of valid UTF-8 text. ASCII-only input is returned unchanged without table lookups.
std::string nfc(std::string_view text);

// Unicode version of the generated tables (HF tokenizers uses the Rust
// unicode-normalization crate; normalization is stable across versions for assigned
// characters, so only characters unassigned in this version may differ).
const char* nfc_unicode_version();

}  // namespace wq::tokenizer
