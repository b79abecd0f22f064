#!/usr/bin/env bash
# Fails when an #include points to a higher floor (docs/ARCHITECTURE.md "Floors"). A file may
# include headers of its own unit and of any LOWER floor, never of a higher or a sibling one.
# tests/ and fuzz/ sit above everything and are not checked.
# Usage: scripts/check_floors.sh   (exit 1 with one line per offending include)
set -euo pipefail
cd "$(dirname "$0")/.."

# unit floor: the longest unit that prefixes a path decides its floor; units of one floor may
# not include each other.
floors='
kernels 0
core/config 1
core/results 1
core/quant 1
core/cache 2
core/method 3
core/windowquant 4
baselines 5
datasets 5
vlm 6
experiments 7
benchmarks 8
'

git ls-files -co --exclude-standard kernels core baselines datasets vlm experiments benchmarks |
  grep -E '\.(h|hpp|cpp|cu|cuh|inc)$' |
  xargs grep -HnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' |
  awk -v floors="$floors" '
    BEGIN {
      n = split(floors, rows, "\n")
      for (i = 1; i <= n; ++i) if (split(rows[i], f, " ") == 2) floor_of[f[1]] = f[2]
    }
    function unit(path,    u, best) {
      best = ""
      for (u in floor_of) if (index(path, u "/") == 1 && length(u) > length(best)) best = u
      return best
    }
    {
      file = $0; sub(/:.*/, "", file)
      rest = substr($0, length(file) + 2); line = rest; sub(/:.*/, "", line)
      inc = rest; sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
      src = unit(file); dst = unit(inc)
      if (src == "" || dst == "" || src == dst) next
      ++checked
      if (floor_of[dst] >= floor_of[src]) {
        printf "%s:%s: includes \"%s\" (%s, floor %d) from %s (floor %d): not a lower floor\n", file, line, inc, dst, floor_of[dst], src, floor_of[src]
        bad = 1
      }
    }
    END {
      if (!bad) printf "floors: %d includes across units, every one to a lower floor\n", checked
      exit bad
    }'
