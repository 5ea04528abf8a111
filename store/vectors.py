"""The collection's chunk vectors in memory, for dense search over any subset of chunks.

A dense search (unfiltered, or under an as-of date or a source) is a scan over the rows' codes, then exact
cosines for the best few; Chroma's HNSW index is not read to answer a question (at a million chunks its
2 GB segment was most of a process's memory, and its filtered query took 160 ms already at 40,000 chunks).

How the scan reads the rows depends on the collection's size and the CPU (``core.cpu.int8_scan``):
- up to ``SMALL`` rows: float32 in numpy, exact;
- larger: int8 codes with one scale per row (``quantize``), through ATen's int8 weight kernel with a bfloat16
  query, vectorized with AVX2 or AVX-512 (AMX and AVX512-BF16 convert bfloat16 natively); float32 in torch on
  a CPU without AVX2;
- past ``SKETCH_ABOVE`` rows: a ``Sketch`` first. Each vector's projection onto ``SKETCH_DIMS`` directions is
  kept as int8 codes (a quarter of the bytes), grouped in about √n lists by their nearest centroid; a search
  scans the lists whose centroids are nearest the question until it has read an eighth of the rows
  (``PROBE_SHARE``), and the full int8 codes re-score the best ``SKETCH_POOL`` of those. At a million chunks
  it found all of an exact search's top 30 for 50 questions (Chroma's HNSW: 0.79) in 6-11 ms, where the full
  int8 scan took 50 ms p50 in a search (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from core.cpu import int8_scan
from core.errors import StoreError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)
_PAGE = 5000
SMALL = 20_000  # rows up to which numpy scans (1 ms; no torch to import, 1.8 s of a CLI start)
SKETCH_ABOVE = 200_000  # rows past which a sketch picks the candidates (the int8 scan takes 7 ms here)
SKETCH_DIMS = 96  # at 40,000 chunks, its best 4,000 rows held the exact top 30 of all 390 RTQA questions
SKETCH_POOL = 4000  # rows the sketch passes on to the full int8 codes
PROBE_SHARE = 8  # a search reads the nearest lists' codes until it has an eighth of the (allowed) rows
_KMEANS_SAMPLE = 65_536  # rows the lists' centroids are fitted on


@dataclass
class Sketch:
    """Every vector projected onto the ``SKETCH_DIMS`` directions that carry most of the collection's inner
    products (eigenvectors of its second-moment matrix), as int8 codes with one scale per row, grouped in
    lists by nearest centroid: list ``i`` is ``codes[offsets[i]:offsets[i + 1]]``, of the mirror's rows
    ``rows[offsets[i]:offsets[i + 1]]``."""

    projection: np.ndarray  # float32 (dimensions, SKETCH_DIMS)
    centroids: np.ndarray  # float32 (lists, SKETCH_DIMS), unit length
    offsets: np.ndarray  # int64 (lists + 1,)
    rows: np.ndarray  # int32 (chunks,): the mirror row of each code
    codes: np.ndarray  # int8 (chunks, SKETCH_DIMS), in list order
    scales: np.ndarray  # float32 (chunks,), in list order


class VectorMirror:
    """One normalised embedding per chunk, in the chunk order of the ``ChunkMirror`` that holds it.

    Loaded from disk, the float32 matrix and the int8 codes are memory-mapped: a search scans the codes (the
    sketch's, in memory, at a million chunks) and reads the float32 rows of its best candidates only.
    """

    def __init__(
        self,
        matrix: np.ndarray,
        int8: tuple[np.ndarray, np.ndarray] | None = None,
        sketch: Sketch | None = None,
    ) -> None:
        self.matrix = matrix  # float32, (chunks, dimensions)
        self.int8 = int8  # (codes, scales) from ``quantize``, when saved with the mirror
        self.sketch = sketch

    def __len__(self) -> int:
        return len(self.matrix)

    @cached_property
    def _scan(self) -> _Scan:
        if len(self.matrix) <= SMALL:
            return _NumpyScan(self.matrix)
        if int8_scan():
            int8 = self.int8 or quantize(self.matrix)
            scan = _Int8Scan(*int8) if self.sketch is None else _SketchScan(self.sketch, int8)
            if scan.works:
                return scan
        return _Float32Scan(self.matrix)

    @property
    def kernel(self) -> str:
        """How a search scans these vectors, in words (the benchmarks report it)."""
        return self._scan.kernel

    def nearest(self, vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[int]:
        """Positions of the ``k`` chunks most similar to ``vector`` (by exact cosine), among ``mask`` if given.

        The scan may be quantized: it picks twice ``k`` candidates, which are then ordered by their exact
        cosines, so only a near-tie at the edge of the list can differ from an exact search (and, past
        ``SKETCH_ABOVE`` rows, a chunk in a list the sketch did not read).
        """
        allowed = len(self.matrix) if mask is None else int(mask.sum())
        k = min(k, allowed)
        if k == 0:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32)
        top = self._scan.best(query, min(2 * k, allowed), allowed, mask)
        exact = self.matrix[top] @ query
        return [int(i) for i in top[np.argsort(-exact, kind="stable")[:k]]]


class _Scan:
    """Similarities of a query to every row; ``best`` picks the rows with the highest."""

    kernel = ""

    def similarities(self, query: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def best(self, query: np.ndarray, n: int, allowed: int, mask: np.ndarray | None) -> np.ndarray:
        """Positions of ``n`` (at most ``allowed``, the rows ``mask`` lets through) rows scoring highest."""
        return _top(self.similarities(query), n, mask)


def _top(sims: np.ndarray, n: int, mask: np.ndarray | None) -> np.ndarray:
    if mask is not None:
        sims = np.where(mask, sims, -np.inf)
    return np.argpartition(-sims, n - 1)[:n]


class _NumpyScan(_Scan):
    """A small collection: one numpy product, exact."""

    kernel = "float32 (numpy)"

    def __init__(self, vectors: np.ndarray) -> None:
        self.rows = np.ascontiguousarray(vectors, dtype=np.float32)

    def similarities(self, query: np.ndarray) -> np.ndarray:
        return self.rows @ query


class _Int8Scan(_Scan):
    """int8 codes with one scale per row, in memory, through torch's int8 weight kernel (a bfloat16 query).

    A scan reads every code, so it is bound by memory bandwidth and the kernel: at 300k chunks float32
    (470 MB) takes 19 ms a query on this project's machine, int8 (117 MB) 7 ms. The int8 scores differ from
    the exact cosines by about 0.002, which moves only near-ties at the edge of the candidate list. The scan
    runs in torch's int8 kernel; numpy does only the small products after it, on one BLAS thread
    (``core.cpu.one_blas_thread``).
    """

    kernel = "int8 codes, bfloat16 query (ATen int8 weight kernel)"

    def __init__(self, codes: np.ndarray, scales: np.ndarray) -> None:
        import torch

        self.codes = torch.from_numpy(_in_memory(codes))
        self.scales = torch.from_numpy(_in_memory(scales)).to(torch.bfloat16)
        self.works = True
        try:
            self.similarities(np.zeros(codes.shape[1], dtype=np.float32))
        except (RuntimeError, AttributeError):  # a torch build without the kernel
            log.info("No int8 scan kernel in this torch; scanning float32 vectors")
            self.works = False

    def similarities(self, query: np.ndarray) -> np.ndarray:
        return _int8_similarities(query, self.codes, self.scales)


def _int8_similarities(query: np.ndarray, codes: torch.Tensor, scales: torch.Tensor) -> np.ndarray:
    import torch

    q = torch.from_numpy(np.ascontiguousarray(query, dtype=np.float32))[None, :].to(torch.bfloat16)
    return torch.ops.aten._weight_int8pack_mm(q, codes, scales)[0].float().numpy()


class _Float32Scan(_Scan):
    """float32 rows in torch: a CPU without AVX2 (ATen's int8 kernel is scalar there, 8x slower)."""

    kernel = "float32 (torch)"

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    @cached_property
    def rows(self) -> torch.Tensor:
        """The float32 matrix in memory: a memory-mapped one is read whole by every scan, so read in once."""
        import torch

        matrix = self.vectors
        if not matrix.flags.writeable:
            matrix = np.array(matrix, dtype=np.float32)
        return torch.from_numpy(np.ascontiguousarray(matrix, dtype=np.float32))

    def similarities(self, query: np.ndarray) -> np.ndarray:
        import torch

        return torch.mv(self.rows, torch.from_numpy(query)).numpy()


class _SketchScan(_Scan):
    """A large collection: the sketch's lists nearest the question are scanned (``Sketch``), and their best
    ``SKETCH_POOL`` rows re-scored by the full int8 codes (memory-mapped: only these rows are read) before
    the exact cosines. Under a filter that leaves too few of its rows in those lists, every list is scanned."""

    def __init__(self, sketch: Sketch, int8: tuple[np.ndarray, np.ndarray]) -> None:
        self.sketch = sketch
        self.projection = np.ascontiguousarray(sketch.projection, dtype=np.float32)
        self.first = _Int8Scan(sketch.codes, sketch.scales)
        self.works = self.first.works
        self.sizes = np.diff(sketch.offsets)
        self.codes, self.scales = int8
        self.kernel = (
            f"int8 sketch of {self.projection.shape[1]} dimensions in {len(self.sizes):,} lists, 1/{PROBE_SHARE} "
            f"of the allowed rows read, then {self.first.kernel}"
        )

    def best(self, query: np.ndarray, n: int, allowed: int, mask: np.ndarray | None) -> np.ndarray:
        import torch

        projected = np.ascontiguousarray(query @ self.projection)
        total = len(self.sketch.rows)
        wanted = max(total // PROBE_SHARE, 4 * SKETCH_POOL) * total // max(allowed, 1)
        order = np.argsort(-(self.sketch.centroids @ projected), kind="stable")
        probed = order[: int(np.searchsorted(np.cumsum(self.sizes[order]), wanted)) + 1]
        if len(probed) < len(order):
            starts, ends = self.sketch.offsets[probed], self.sketch.offsets[probed + 1]
            sims = _int8_similarities(
                projected,
                torch.cat([self.first.codes[a:b] for a, b in zip(starts, ends, strict=True)]),
                torch.cat([self.first.scales[a:b] for a, b in zip(starts, ends, strict=True)]),
            )
            rows = np.concatenate([self.sketch.rows[a:b] for a, b in zip(starts, ends, strict=True)])
        else:
            sims, rows = self.first.similarities(projected), self.sketch.rows
        keep = None if mask is None else mask[rows]
        here = len(rows) if keep is None else int(keep.sum())
        if here < min(max(SKETCH_POOL, n), allowed):  # the filter left too few rows in these lists: read all
            sims, rows = self.first.similarities(projected), self.sketch.rows
            keep = None if mask is None else mask[rows]
            here = allowed
        pool = np.sort(rows[_top(sims, min(max(SKETCH_POOL, n), here), keep)])  # in file order
        rescored = (np.asarray(self.codes[pool], dtype=np.float32) @ query) * self.scales[pool]
        return pool[np.argpartition(-rescored, n - 1)[:n]]


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


def sketch_projection(moment: np.ndarray, dims: int) -> np.ndarray:
    """The ``dims`` eigenvectors of the vectors' second-moment matrix (``Σ v vᵀ``) with the largest
    eigenvalues: the projection that keeps most of every inner product with them."""
    values, vectors = np.linalg.eigh(moment)
    return np.ascontiguousarray(vectors[:, np.argsort(-values, kind="stable")[:dims]], dtype=np.float32)


class VectorWriter:
    """The vectors of a mirror being built, written to ``folder`` a page at a time: at a million chunks the
    float32 matrix alone is 1.5 GB, so no step holds more than a page of it in memory.

    ``add`` appends raw rows; ``finish`` copies them into ``vectors.npy`` and, for a large collection, writes
    the int8 codes and the sketch beside them (read back in pages with plain file reads: a memory map would
    count the whole file in the process's memory).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._raw_path = folder / "vectors.raw"
        self._raw: BinaryIO = open(self._raw_path, "wb")  # noqa: SIM115 (closed by finish)
        self.rows = 0
        self.dims = 0
        self._moment: np.ndarray | None = None

    def add(self, page: np.ndarray) -> None:
        if not len(page):
            return
        page = np.ascontiguousarray(page, dtype=np.float32)
        if self.dims and page.shape[1] != self.dims:
            raise StoreError(
                f"A page of {page.shape[1]}-dimension vectors after {self.dims}-dimension ones: the collection "
                "mixes embedding models. Ingest its articles into a new collection (`assistant ingest PATHS "
                "--collection NEW`)."
            )
        self.dims = page.shape[1]
        self._raw.write(page.tobytes())
        self.rows += len(page)
        moment = page.T.astype(np.float64) @ page
        self._moment = moment if self._moment is None else self._moment + moment

    def close(self) -> None:
        """Close the raw file (``finish`` does; a build that fails calls this before removing its folder)."""
        self._raw.close()

    def finish(self) -> None:
        self._raw.close()
        shape = (self.rows, self.dims)
        outputs = {"vectors.npy": _NpyWriter(self.folder / "vectors.npy", np.float32, shape)}
        if self.rows > SMALL:
            outputs["vectors.int8.npy"] = _NpyWriter(self.folder / "vectors.int8.npy", np.int8, shape)
            outputs["vectors.scale.npy"] = _NpyWriter(
                self.folder / "vectors.scale.npy", np.float32, shape[:1]
            )
        projection = None
        if self.rows > SKETCH_ABOVE and self._moment is not None:
            projection = sketch_projection(self._moment, SKETCH_DIMS)
        try:
            sketch = self._copy(outputs, projection)
        finally:
            for output in outputs.values():
                output.close()
        os.unlink(self._raw_path)
        if projection is not None and sketch is not None:
            _save_sketch(self.folder, projection, *sketch)

    def _copy(
        self, outputs: dict[str, _NpyWriter], projection: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The raw rows into ``outputs`` (float32, and int8 codes when asked), a page at a time; the sketch's
        codes and scales, in row order, when there is a ``projection``."""
        sketch = None
        if projection is not None:  # a quarter of the int8 codes' size: kept in memory to be grouped in lists
            sketch = (
                np.empty((self.rows, projection.shape[1]), dtype=np.int8),
                np.empty(self.rows, np.float32),
            )
        with open(self._raw_path, "rb") as raw:
            for at in range(0, self.rows, _PAGE):
                page = np.fromfile(raw, dtype=np.float32, count=_PAGE * self.dims).reshape(-1, self.dims)
                outputs["vectors.npy"].write(page)
                if "vectors.int8.npy" in outputs:
                    codes, scales = quantize(page)
                    outputs["vectors.int8.npy"].write(codes)
                    outputs["vectors.scale.npy"].write(scales)
                if sketch is not None and projection is not None:
                    sketch[0][at : at + len(page)], sketch[1][at : at + len(page)] = quantize(
                        page @ projection
                    )
        return sketch


def _save_sketch(folder: Path, projection: np.ndarray, codes: np.ndarray, scales: np.ndarray) -> None:
    """The sketch's codes grouped in lists around about √n centroids (spherical k-means on a sample)."""
    centroids = _centroids(codes, scales, int(np.sqrt(len(codes))))
    nearest = np.empty(len(codes), dtype=np.int32)
    for at in range(0, len(codes), 4 * _PAGE):  # a row's scale is positive: the argmax is its code's
        nearest[at : at + 4 * _PAGE] = np.argmax(
            codes[at : at + 4 * _PAGE].astype(np.float32) @ centroids.T, 1
        )
    rows = np.argsort(nearest, kind="stable").astype(np.int32)
    offsets = np.zeros(len(centroids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(nearest, minlength=len(centroids)), out=offsets[1:])
    for name, array in (
        ("projection", projection),
        ("centroids", centroids),
        ("offsets", offsets),
        ("rows", rows),
        ("int8", codes[rows]),
        ("scale", scales[rows]),
    ):
        np.save(folder / f"sketch.{name}.npy", array)


def _centroids(codes: np.ndarray, scales: np.ndarray, lists: int, rounds: int = 8) -> np.ndarray:
    """``lists`` unit centroids fitted to a sample of the sketched rows by spherical k-means (seeded)."""
    step = max(1, len(codes) // _KMEANS_SAMPLE)
    sample = codes[::step].astype(np.float32) * scales[::step, None]
    sample /= np.maximum(np.linalg.norm(sample, axis=1, keepdims=True), 1e-12)
    rng = np.random.default_rng(0)
    centroids = sample[rng.choice(len(sample), min(lists, len(sample)), replace=False)].copy()
    for _ in range(rounds):
        nearest = np.concatenate(
            [np.argmax(sample[at : at + 8192] @ centroids.T, axis=1) for at in range(0, len(sample), 8192)]
        )
        counts = np.bincount(nearest, minlength=len(centroids))
        used = counts > 0
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[used]
        sums = np.add.reduceat(sample[np.argsort(nearest, kind="stable")], starts, axis=0)
        centroids[used] = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return centroids


class _NpyWriter:
    """A ``.npy`` file of known shape written a block of rows at a time."""

    def __init__(self, path: Path, dtype: type, shape: tuple[int, ...]) -> None:
        self._file = open(path, "wb")  # noqa: SIM115 (closed by close)
        header = {
            "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
            "fortran_order": False,
            "shape": shape,
        }
        np.lib.format.write_array_header_1_0(self._file, header)
        self._dtype = dtype

    def write(self, block: np.ndarray) -> None:
        self._file.write(np.ascontiguousarray(block, dtype=self._dtype).tobytes())

    def close(self) -> None:
        self._file.close()


def load_sketch(folder: Path, rows: int) -> Sketch | None:
    """The sketch saved in ``folder``, read into memory (searches read its lists); None if absent."""
    if not (folder / "sketch.projection.npy").exists():
        return None
    sketch = Sketch(*(np.load(folder / f"sketch.{name}.npy") for name in _SKETCH_PARTS))
    if not len(sketch.codes) == len(sketch.scales) == len(sketch.rows) == rows == sketch.offsets[-1]:
        raise ValueError(f"the sketch has {len(sketch.codes)} rows, the mirror {rows}")
    return sketch


_SKETCH_PARTS = ("projection", "centroids", "offsets", "rows", "int8", "scale")  # Sketch's fields, in order
