"""The CPU kinds the benchmarks time, and how this machine is made to choose as each would: the project's
kernel choices follow ``ASSISTANT_CPU_FLAGS`` (core/cpu.py), torch's own ``ATEN_CPU_CAPABILITY``. An emulated
kind shares this machine's memory system and clock, so it shows the kernels' cost, not that CPU's speed."""

from __future__ import annotations

KINDS = {  # name -> environment that makes this machine choose as that CPU kind would
    "as is": {},
    "AVX512-BF16, no AMX": {
        "ASSISTANT_CPU_FLAGS": "avx2 avx512f avx512_bf16 avx512_vnni",
        "ATEN_CPU_CAPABILITY": "avx512",
    },
    "AVX2 only": {"ASSISTANT_CPU_FLAGS": "avx2", "ATEN_CPU_CAPABILITY": "avx2"},
}
