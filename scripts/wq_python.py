"""Runs a script under a Python that can import what it needs.

The `python3` first on PATH is often a pyenv or conda interpreter that cannot see Debian's
python3-h5py, python3-pandas and python3-matplotlib, so `python3 scripts/tables/make_table.py`
as the docs write it would fail on import. Each script calls, before those imports,

    import wq_python
    wq_python.require("h5py", "pandas", "matplotlib")

When a module is missing, require() re-executes the script once (same arguments, same
working directory) under the first of $WQ_PYTHON (scripts/find_python.sh sets it),
/usr/bin/python3 and the PATH's python3 that imports them all; the environment variable
WQ_PYTHON_REEXEC guards against a loop. When none does, it exits with one line naming the
packages to install.
"""
import importlib
import os
import shutil
import subprocess
import sys

# Module -> Debian package (pip's name is the module's).
DEBIAN_PACKAGE = {"h5py": "python3-h5py", "pandas": "python3-pandas",
                  "matplotlib": "python3-matplotlib", "numpy": "python3-numpy"}
GUARD = "WQ_PYTHON_REEXEC"


def _missing(modules):
    missing = []
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    return missing


def _candidates():
    """Interpreters to try, each once, in order."""
    seen = set()
    for candidate in (os.environ.get("WQ_PYTHON"), "/usr/bin/python3", shutil.which("python3")):
        if not candidate:
            continue
        path = shutil.which(candidate) or candidate
        if path in seen or not os.access(path, os.X_OK):
            continue
        seen.add(path)
        yield path


def _imports(python, modules):
    probe = [python, "-c", "import " + ", ".join(modules)]
    return subprocess.run(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def require(*modules):
    """Returns when every module imports here; otherwise re-executes the running script under
    an interpreter that imports them all, or exits with status 1 and one line saying what
    to install."""
    missing = _missing(modules)
    if not missing:
        os.environ.pop(GUARD, None)  # so that a script this one starts may look again
        return
    script = sys.argv[0] if sys.argv else ""
    tool = os.path.basename(script) or "python"
    tried = [sys.executable]
    # Only a script run from a file can be re-executed (not `python -c`, not an import
    # from an interactive session).
    if os.environ.get(GUARD) != "1" and os.path.isfile(script):
        for python in _candidates():
            if _imports(python, modules):
                os.environ[GUARD] = "1"
                sys.stdout.flush()
                sys.stderr.flush()
                os.execv(python, [python, script] + sys.argv[1:])
            tried.append(python)
    debian = " ".join(DEBIAN_PACKAGE.get(m, "python3-" + m) for m in missing)
    sys.exit(f"{tool}: cannot import {', '.join(missing)} (tried {', '.join(dict.fromkeys(tried))}): "
             f"install {debian} (Debian: apt-get install {debian}) or pip install {' '.join(missing)}")
