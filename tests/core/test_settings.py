from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import Settings, settings_from_env


def test_environment_sets_values_and_flags_win():
    env = {"ASSISTANT_DATA_DIR": "/tmp/x", "ASSISTANT_K": "7", "ASSISTANT_LLM": "extractive"}
    s = settings_from_env(env, k=3, fetch_k=None)
    assert s.data_dir == Path("/tmp/x")
    assert s.k == 3  # the flag wins
    assert s.llm == "extractive"


def test_openai_key_comes_from_the_conventional_variable_and_is_not_printed():
    s = settings_from_env({"OPENAI_API_KEY": "sk-secret"})
    assert s.openai_api_key == "sk-secret"
    assert "sk-secret" not in repr(s)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"k": 0}, "k must be greater than 0"),
        ({"llm": "gpt9"}, "llm must be one of"),
        ({"k": 30, "fetch_k": 10}, "fetch_k (10) must be at least k (30)"),
        ({"collection": "bad name!"}, "not valid"),
        ({"retriever": "sparse"}, "retriever must be one of dense, bm25, hybrid"),
        ({"rescore": "bert"}, "rescore must be one of none, mpnet"),
        ({"mmr": 1.5}, "mmr must be between 0 and 1"),
    ],
)
def test_bad_values_name_the_setting(overrides, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings(**overrides)


def test_bad_number_in_environment_names_the_variable():
    with pytest.raises(ConfigError, match="ASSISTANT_K='many'"):
        settings_from_env({"ASSISTANT_K": "many"})


def test_float_settings_come_from_the_environment():
    s = settings_from_env({"ASSISTANT_RECENCY": "0", "ASSISTANT_MMR": "0.7", "ASSISTANT_RETRIEVER": "bm25"})
    assert (s.recency, s.mmr, s.retriever) == (0.0, 0.7, "bm25")
