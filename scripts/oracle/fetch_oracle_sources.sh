#!/usr/bin/env bash
# Copies the few authors' files that make_oracle_fixtures.py imports into .oracle/ (git-ignored:
# their code is never committed here). Needs network, or local clones passed as arguments.
#   scripts/oracle/fetch_oracle_sources.sh [KIVI_CLONE] [VIDKV_CLONE]
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
kivi_commit=876b4d2d08e3b1d5f70d0969c299d8c7c42ddfb6
vidkv_commit=0e55c394adbe7ec9b98c9256957150e4f06bcb25
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kivi=${1:-$tmp/KIVI}
vidkv=${2:-$tmp/VidKV}
[ -e "$kivi" ] || git clone -q https://github.com/jy-yuan/KIVI "$kivi"
[ -e "$vidkv" ] || git clone -q https://github.com/KD-TAO/VidKV "$vidkv"
grep -qx '/.oracle/' .git/info/exclude || echo '/.oracle/' >>.git/info/exclude
mkdir -p .oracle/kivi/quant .oracle/vidkv
git -C "$kivi" show $kivi_commit:quant/new_pack.py >.oracle/kivi/quant/new_pack.py
git -C "$kivi" show $kivi_commit:models/llama_kivi.py >.oracle/kivi/llama_kivi.py
git -C "$vidkv" show $vidkv_commit:transformers/src/transformers/vidkv_quant.py >.oracle/vidkv/vidkv_quant.py
git -C "$vidkv" show $vidkv_commit:transformers/src/transformers/cache_utils.py >.oracle/vidkv/cache_utils.py
git -C "$vidkv" show $vidkv_commit:llava/model/language_model/llava_qwen.py >.oracle/vidkv/llava_qwen.py
echo $kivi_commit >.oracle/kivi/COMMIT
echo $vidkv_commit >.oracle/vidkv/COMMIT
echo "copied into $root/.oracle"
