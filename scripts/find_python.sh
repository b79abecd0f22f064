# Sourced: sets WQ_PYTHON to a Python that can import h5py (Debian's /usr/bin/python3 first:
# a pyenv/conda python3 on PATH usually cannot see Debian's python3-h5py).
WQ_PYTHON=""
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c 'import h5py' >/dev/null 2>&1; then WQ_PYTHON="$candidate"; break; fi
done
if [[ -z "$WQ_PYTHON" ]]; then
  echo "no Python with h5py found: install python3-h5py (apt) or h5py (pip)" >&2
  return 1 2>/dev/null || exit 1
fi
export WQ_PYTHON
