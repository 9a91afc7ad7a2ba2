"""Session-wide test configuration: Hypothesis draws the same cases on every run.

* Profile ``costplan`` (the default; ``HYPOTHESIS_PROFILE`` picks another): derandomized
  (each test draws from a fixed seed, or from the one it states with ``@seed``), no example
  database (a past failure does not change what a later run draws), and the
  ``@reproduce_failure`` blob printed with any failure.
* Hypothesis's files (unicode tables, caches) go to a temporary folder, not to
  ``.hypothesis/`` in the working tree: the suite writes nothing into the repository.
* Hypothesis (>= 6.131) also draws about 5% of its values from the constants of every
  *local* module already imported, collected under a wall-clock budget: generated inputs
  then depend on test order, lazy imports, how costplan is installed (``pip install .``
  puts it outside "local" code, a ``src/`` checkout does not) and the machine's load. The
  same seed drew different cases on a fresh machine. That pool is turned off here; its
  built-in constants stay.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.internal.conjecture import providers as _providers

_HOME = tempfile.mkdtemp(prefix="costplan-hypothesis-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
set_hypothesis_home_dir(_HOME)

settings.register_profile("costplan", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "costplan"))

if hasattr(_providers, "_get_local_constants") and hasattr(_providers, "Constants"):
    _EMPTY = _providers.Constants()
    _providers._get_local_constants = lambda *_args, **_kwargs: _EMPTY
