"""Write the promptfoo fixtures by running ``promptfoo eval`` with its ``echo`` provider.

Run (promptfoo needs Node >= 22; ``npm install node@22 promptfoo`` in a scratch folder
gives both; not costplan dependencies, no network once installed):

    python tests/data/ingest/make_promptfoo.py /path/to/node_modules [OUT_NAME VERSION]

The ``echo`` provider answers with the prompt itself and reports zero tokens, so the
scores come from the assertions alone. ``promptfoo_real_summarize.json`` (promptfoo
0.121, results version 3) has 4 tests, task var ``kind``:

====  =======  ===============================  =====
test  doc      assertion                        score
====  =======  ===============================  =====
0     alpha    contains "alpha"                 1
1     beta     contains "gamma"                 0
2     delta    javascript returning 0.5         0.5
3     epsilon  icontains "EPSILON"              1
====  =======  ===============================  =====

With ``OUT_NAME VERSION`` it writes the same eval run by another promptfoo release
installed in that ``node_modules`` (``promptfoo_real_summarize_v2.json``: 0.48.0,
whose output file holds a version-2 summary).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CONFIG = """\
description: summarize
prompts:
  - "Summarize {{doc}}"
providers:
  - id: echo
tests:
  - vars: {doc: alpha, kind: short}
    assert: [{type: contains, value: alpha}]
  - vars: {doc: beta, kind: short}
    assert: [{type: contains, value: gamma}]
  - vars: {doc: delta, kind: long}
    assert: [{type: javascript, value: "0.5", threshold: 0.4}]
  - vars: {doc: epsilon, kind: long}
    assert: [{type: icontains, value: EPSILON}]
"""


def main(modules: Path, out_name: str = "promptfoo_real_summarize.json") -> None:
    node_bin = modules / "node" / "bin"
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PATH": f"{node_bin}{os.pathsep}{os.environ['PATH']}",
            "PROMPTFOO_DISABLE_TELEMETRY": "1",
            "PROMPTFOO_DISABLE_UPDATE": "1",
            "PROMPTFOO_CACHE_ENABLED": "false",
            "PROMPTFOO_CONFIG_DIR": str(Path(tmp) / "config"),
        }
        config = Path(tmp) / "promptfooconfig.yaml"
        config.write_text(CONFIG)
        out = Path(tmp) / "out.json"
        cmd = [str(modules / ".bin" / "promptfoo"), "eval", "-c", str(config), "-o", str(out),
               "--no-cache", "-j", "1"]  # fmt: skip
        subprocess.run(cmd, env=env, cwd=tmp, check=False, capture_output=True)
        json.loads(out.read_text())  # a failed run writes no valid file
        (HERE / out_name).write_text(out.read_text())


if __name__ == "__main__":
    main(Path(sys.argv[1]), *sys.argv[2:3])
