"""The collection's chunk vectors in memory, for exact dense search over any subset of chunks.

A filtered dense search (an as-of date, a source) is exact and takes milliseconds as one matrix product over
the allowed rows, where Chroma's filtered HNSW query takes 160 ms on 40,000 chunks.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from core.cpu import native_bf16

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)
_PAGE = 5000
SMALL = 20_000  # rows up to which numpy scans (1 ms; no torch to import, 1.8 s of a CLI start)


class VectorMirror:
    """One normalised embedding per chunk, in the chunk order of the ``ChunkMirror`` that holds it.

    Loaded from disk, the float32 matrix is memory-mapped: a search reads the int8 codes (``quantize``, saved
    beside it) and only the rows of its best candidates, so a million chunks cost 0.4 GB of memory, not 1.9.
    """

    def __init__(self, matrix: np.ndarray, int8: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.matrix = matrix  # float32, (chunks, dimensions)
        self.int8 = int8  # (codes, scales) from ``quantize``, when saved with the mirror

    def __len__(self) -> int:
        return len(self.matrix)

    @cached_property
    def _scan(self) -> _Scan | _SmallScan:
        return _SmallScan(self.matrix) if len(self.matrix) <= SMALL else _Scan(self.matrix, self.int8)

    def nearest(self, vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[int]:
        """Positions of the ``k`` chunks most similar to ``vector`` (by exact cosine), among ``mask`` if given.

        The scan may be quantized (see ``_Scan``): it picks twice ``k`` candidates, which are then ordered
        by their exact cosines, so only a near-tie at the edge of the list can differ from an exact search.
        """
        allowed = len(self.matrix) if mask is None else int(mask.sum())
        k = min(k, allowed)
        if k == 0:
            return []
        sims = self._scan.similarities(vector)
        if mask is not None:
            sims = np.where(mask, sims, -np.inf)
        wide = min(2 * k, allowed)
        top = np.argpartition(-sims, wide - 1)[:wide]
        exact = self.matrix[top] @ np.asarray(vector, dtype=np.float32)
        return [int(i) for i in top[np.argsort(-exact, kind="stable")[:k]]]


class _SmallScan:
    """Similarity of a query to every chunk vector of a small collection: one numpy product, exact."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.rows = np.ascontiguousarray(vectors, dtype=np.float32)

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        return self.rows @ np.asarray(vector, dtype=np.float32)


class _Scan:
    """Similarity of a query to every chunk vector of a large collection (more than ``SMALL`` rows).

    A scan reads the whole matrix, so at 300k chunks it is bound by memory bandwidth: float32 (470 MB)
    takes 19 ms a query on this project's machine, bfloat16 11 ms, and int8 with one scale per row
    (117 MB, through torch's int8 weight kernel with a bfloat16 query) 7 ms. The int8 scores differ from
    the exact cosines by about 0.002, which moves only near-ties at the edge of the candidate list.
    int8 is used where the CPU computes bfloat16 natively and the kernel is there; elsewhere float32.
    The work runs in torch: numpy's BLAS threads would fight the embedder's torch threads for the cores
    (a 3x slower query on 2 cores, measured).
    """

    def __init__(self, vectors: np.ndarray, int8: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        import torch

        self.vectors = vectors
        self.int8: tuple[torch.Tensor, torch.Tensor] | None = None
        if native_bf16() and len(vectors):
            codes, scale = int8 if int8 is not None else quantize(vectors)
            self.int8 = (
                torch.from_numpy(_in_memory(codes)),
                torch.from_numpy(_in_memory(scale)).to(torch.bfloat16),
            )
            try:
                self._int8(np.zeros(vectors.shape[1], dtype=np.float32))
            except (RuntimeError, AttributeError):  # a torch build without the kernel
                log.info("No int8 scan kernel in this torch; scanning float32 vectors")
                self.int8 = None

    def _int8(self, vector: np.ndarray) -> np.ndarray:
        import torch

        assert self.int8 is not None
        codes, scales = self.int8
        query = torch.from_numpy(np.ascontiguousarray(vector, dtype=np.float32))[None, :].to(torch.bfloat16)
        return torch.ops.aten._weight_int8pack_mm(query, codes, scales)[0].float().numpy()

    @cached_property
    def rows(self) -> torch.Tensor:
        """The float32 matrix in memory, for a CPU without the int8 path."""
        import torch

        matrix = self.vectors  # memory-mapped when loaded: read whole by every scan here, so held in memory
        if not matrix.flags.writeable:
            matrix = np.array(matrix, dtype=np.float32)
        return torch.from_numpy(np.ascontiguousarray(matrix, dtype=np.float32))

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        import torch

        if self.int8 is not None:
            return self._int8(vector)
        return torch.mv(self.rows, torch.from_numpy(np.ascontiguousarray(vector, dtype=np.float32))).numpy()


def _in_memory(array: np.ndarray) -> np.ndarray:
    """``array`` as a writable array in memory: a memory-mapped one (a saved mirror's) is read in."""
    return array if array.flags.writeable and array.flags.c_contiguous else np.array(array)


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes of ``vectors`` with one scale per row (float32), as the int8 scan reads them."""
    scale = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
    codes = np.empty(vectors.shape, dtype=np.int8)
    for at in range(0, len(vectors), _PAGE):  # in pages: no float32 copy of the whole matrix
        codes[at : at + _PAGE] = np.rint(vectors[at : at + _PAGE] / scale[at : at + _PAGE, None])
    return codes, scale.astype(np.float32)
