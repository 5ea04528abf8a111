"""Evaluation harness: scores retrieval, answers, citations and speed on benchmark data (``assistant eval``)."""
