"""User-facing errors. Each message says what was wrong and how to fix it."""


class AssistantError(Exception):
    """Base class; the CLI and UI translate it into a readable message."""


class ConfigError(AssistantError):
    """A setting has a value we cannot use."""


class ModelError(AssistantError):
    """A model file is missing, corrupt, or failed to load."""


class StoreError(AssistantError):
    """The vector store or article store cannot be opened or used."""


class QuestionError(AssistantError):
    """The question cannot be asked as given (e.g. it is empty)."""


class LLMError(AssistantError):
    """The language model backend failed to answer."""
