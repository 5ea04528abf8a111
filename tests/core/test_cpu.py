"""What the CPU computes natively decides the kernels; ASSISTANT_CPU_FLAGS makes this machine choose as a CPU
of another kind would (for benchmarks), and the name says so."""

from __future__ import annotations

import pytest

from core import cpu


@pytest.fixture
def emulate(monkeypatch):
    def as_flags(value: str) -> None:
        monkeypatch.setattr(
            cpu,
            "_proc_cpuinfo",
            lambda: (
                "Some CPU",
                frozenset({"fpu", "avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8"}),
            ),
        )
        monkeypatch.setenv(cpu.EMULATE, value)
        cpu._cpuinfo.cache_clear()

    yield as_flags
    cpu._cpuinfo.cache_clear()


def test_an_avx2_only_kind_takes_the_float32_paths(emulate):
    emulate("avx2")
    assert not cpu.native_bf16()
    assert cpu.int8_scan()  # ATen's int8 kernel is vectorized with AVX2
    assert cpu.cpu_features() == ["AVX2"]
    assert cpu.describe_cpu() == "Some CPU as avx2 only (AVX2; no AMX)"


def test_an_avx512_bf16_kind_without_amx_keeps_bf16(emulate):
    emulate("avx2 avx512f avx512_bf16")
    assert cpu.native_bf16()
    assert (
        cpu.describe_cpu() == "Some CPU as avx2 avx512_bf16 avx512f only (AVX2, AVX-512, AVX512-BF16; no AMX)"
    )


def test_a_cpu_without_avx2_scans_float32(emulate):
    emulate("")
    assert not cpu.int8_scan() and not cpu.native_bf16()
    assert cpu.describe_cpu() == "Some CPU as no AVX2 only (no AVX2; no AMX)"
