"""Readers of ``costplan assign`` query files (see :mod:`costplan.queries` for the format).

* :mod:`.chunks` streams a file in newline-aligned pieces through the input guard;
* :mod:`.jsonl`, :mod:`.csvfile`, :mod:`.columnar` turn pieces into arrays with
  pyarrow; :mod:`.rows` is the exact per-value Python reader they fall back to on
  a piece they cannot vouch for (it names the line of the first error);
* :mod:`.quality` turns qualities into micro-units; :mod:`.assemble` joins pieces.
"""
