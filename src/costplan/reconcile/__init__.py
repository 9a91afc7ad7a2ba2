"""Plan against actual: where the money went, and a gate when it drifts.

Data flow: :mod:`.load` reads the actual usage through the same DuckDB traffic
readers and checks as ``costplan workload build`` (:mod:`costplan.ingest`) and
aggregates it per (task, model) in DuckDB; :mod:`.decompose` prices it and splits
actual - plan into volume, unplanned, mix, length, cache and price effects that add
up exactly to the pico-dollar (the formulation is in its docstring);
:mod:`.focus` writes FOCUS 1.2 cost lines of both; :mod:`.gate` turns thresholds
into reasons (exit 1); :mod:`.render` prints terminal, markdown, HTML and JSON.
:mod:`.run` is the use case the CLI and :mod:`costplan.api` call.
"""
