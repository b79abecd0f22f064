#!/usr/bin/env bash
# Prepares .deps/: the Debian -dev packages the build needs, unpacked, so they can travel
# to a GPU machine that cannot download anything (pass `carry: [".deps"]`). Run here, once.
# On the GPU machine, `source scripts/device_env.sh` points CMake and the loader at them.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(
  libyaml-cpp-dev libyaml-cpp0.7
  libhdf5-dev libhdf5-103-1 libhdf5-cpp-103-1 libhdf5-hl-100 libhdf5-hl-cpp-100 libaec0 libsz2
  libcli11-dev nlohmann-json3-dev
  libgtest-dev libbenchmark-dev libbenchmark1debian
  libpcre2-dev libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3
)
grep -qxF '/.deps/' .git/info/exclude 2>/dev/null || echo '/.deps/' >> .git/info/exclude
mkdir -p .deps/debs
(cd .deps/debs && apt-get download "${packages[@]}")
for deb in .deps/debs/*.deb; do
  echo "unpacking $(basename "$deb")"
  dpkg -x "$deb" .deps/root
done
rm -rf .deps/debs
du -sh .deps
