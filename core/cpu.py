"""What this CPU is and computes natively: chooses the fast path (bfloat16, int8 scans), with a fallback
elsewhere, and names the CPU beside every speed a benchmark reports (machines here differ: Intel with AMX,
AMD EPYC with AVX2 or AVX-512)."""

from __future__ import annotations

import os
import platform
from functools import lru_cache

# /proc/cpuinfo flags that decide which kernels are fast, with the names people know them by
FEATURES = {
    "avx2": "AVX2",
    "avx512f": "AVX-512",
    "avx512_bf16": "AVX512-BF16",
    "avx512_vnni": "AVX512-VNNI",
    "amx_bf16": "AMX-BF16",
    "amx_int8": "AMX-INT8",
}


# Benchmarks of another CPU kind on this one: ASSISTANT_CPU_FLAGS="avx2" (or "avx2 avx512f avx512_bf16") keeps
# only those of the speed-relevant flags, so every kernel choice takes the path that CPU kind would take (with
# ATEN_CPU_CAPABILITY=avx2, torch's own kernels do too). Never set in production.
EMULATE = "ASSISTANT_CPU_FLAGS"


@lru_cache(maxsize=1)
def _cpuinfo() -> tuple[str, frozenset[str]]:
    """The CPU's model name and flags, from /proc/cpuinfo ("", {} where there is none), less the
    speed-relevant flags ``ASSISTANT_CPU_FLAGS`` leaves out when it is set."""
    model, flags = _proc_cpuinfo()
    kept = os.environ.get(EMULATE)
    if kept is not None:
        flags = frozenset(f for f in flags if f not in FEATURES or f in kept.split())
        model = f"{model} as {' '.join(sorted(kept.split())) or 'no AVX2'} only"
    return model, flags


def _proc_cpuinfo() -> tuple[str, frozenset[str]]:
    model, flags = "", frozenset[str]()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and not model:
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = frozenset(value.split())
                if model and flags:
                    break
    except OSError:
        pass
    return model or platform.processor() or platform.machine(), flags


def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (Intel AMX or AVX512-BF16)."""
    flags = _cpuinfo()[1]
    return "amx_bf16" in flags or "avx512_bf16" in flags


def int8_scan() -> bool:
    """Whether the vector scan reads int8 codes. ATen's int8 weight kernel runs vectorized with AVX2 or AVX-512
    (a million 384-dimension rows: 32 ms on this project's AMX machine, 36 ms with torch held to AVX2, where
    the float32 scan takes 85); without AVX2 it runs as scalar code (8x slower with torch held to its
    default kernels), so such a CPU scans float32."""
    return "avx2" in _cpuinfo()[1]


def one_blas_thread() -> None:
    """Hold numpy's BLAS (OpenBLAS) to one thread in this process. Its idle threads spin, holding the cores
    torch's kernels (the embedder, the vector scan) then wait for: on 2 cores, the p95 of a search over a
    million chunks fell from 120 ms to 31 with this (docs/benchmarks.md). numpy's products in a search are
    small (a question against a few thousand rows), so one thread costs them nothing."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def cpu_features() -> list[str]:
    """The speed-relevant extensions this CPU has, by their usual names."""
    flags = _cpuinfo()[1]
    return [name for flag, name in FEATURES.items() if flag in flags]


def describe_cpu() -> str:
    """The CPU model and its speed-relevant extensions, e.g. "AMD EPYC (AVX2, AVX-512, AVX512-BF16; no AMX)"."""
    model, flags = _cpuinfo()
    features = cpu_features()
    amx = "" if {"amx_bf16", "amx_int8"} & flags else "; no AMX"
    return f"{model} ({', '.join(features) or 'no AVX2'}{amx})"
