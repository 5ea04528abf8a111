"""What this CPU is and computes natively: chooses the fast path (bfloat16, int8 scans), with a fallback
elsewhere, and names the CPU beside every speed a benchmark reports (machines here differ: Intel with AMX,
AMD EPYC with AVX2 or AVX-512)."""

from __future__ import annotations

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


@lru_cache(maxsize=1)
def _cpuinfo() -> tuple[str, frozenset[str]]:
    """The CPU's model name and flags, from /proc/cpuinfo ("", {} where there is none)."""
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


def cpu_features() -> list[str]:
    """The speed-relevant extensions this CPU has, by their usual names."""
    flags = _cpuinfo()[1]
    return [name for flag, name in FEATURES.items() if flag in flags]


def describe_cpu() -> str:
    """The CPU model and its speed-relevant extensions, e.g. "AMD EPYC (AVX2, AVX-512, AVX512-BF16; no AMX)"."""
    model, flags = _cpuinfo()
    features = cpu_features()
    amx = "" if any(f.startswith("amx") for f in flags) else "; no AMX"
    return f"{model} ({', '.join(features) or 'no AVX2'}{amx})"
