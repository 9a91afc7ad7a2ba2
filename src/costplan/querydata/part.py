"""One piece of a query file, as arrays (what every reader produces)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pyarrow as pa

#: Largest token count of one query (prompt, cached or output).
MAX_TOKENS = 100_000_000
#: The keys of a JSONL record and the non-quality columns of CSV, Parquet and Arrow.
FIELDS = ("id", "task", "text", "prompt_tokens", "cached_tokens", "output_tokens")


@dataclass(frozen=True)
class Part:
    """Rows ``lines`` of a file: ``quality[i, k]`` is micro-units of ``models[k]``, -1 absent.

    ``text_mode`` says whether the rows give ``text`` (else ``prompt_tokens``);
    ``lines`` is the 1-based line (or row) of each query, None where unknown.
    """

    ids: pa.Array
    tasks: pa.Array
    texts: pa.Array | None
    prompt: npt.NDArray[np.int64] | None
    cached: npt.NDArray[np.int64]
    output: npt.NDArray[np.int64]
    models: tuple[str, ...]
    quality: npt.NDArray[np.int32]
    lines: npt.NDArray[np.int64] | None

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def text_mode(self) -> bool:
        return self.texts is not None
