"""Traffic logs and eval results in: DuckDB readers that produce workload pieces.

Data flow: a reader (:mod:`.traffic`, :mod:`.evals`) turns one file into a SQL
relation of normalised rows; :mod:`.summarize` aggregates those rows **in DuckDB**
(never row by row in Python) into frozen summaries; :mod:`.build` turns the
summaries into a workload document and a sidecar of empirical data. Nothing
here imports the CLI, the solvers or the option table.
"""
