"""How many tokens a text takes for the answering model: the prompt budget's measure."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

CHARS_PER_TOKEN = 3  # the fallback estimate: deliberately high for English (about 4 characters per token)


def estimate_tokens(text: str) -> int:
    """A deliberately high token estimate for English text (3 characters a token; English averages ~4).

    Text in scripts without spaces (Chinese, Japanese) can take a token per character, so this undercounts.
    """
    return len(text) // CHARS_PER_TOKEN + 1


def count_tokens(model: BaseChatModel | None, text: str) -> int:
    """Tokens ``text`` takes for ``model``: exact for llama.cpp (local or a llama.cpp server), else estimated.

    For ``prompts.build_messages(count_tokens=functools.partial(count_tokens, llm))``. The chat template adds
    a few tokens per message on top (about 5 for ChatML), which the prompt budget's margin covers.
    """
    if model is None:  # extractive: no chat model, and no need to import one
        return estimate_tokens(text)
    from assistant.generators.llm import OpenAICompatibleChat

    if isinstance(model, OpenAICompatibleChat):
        return model.get_num_tokens(text)
    return estimate_tokens(text)
