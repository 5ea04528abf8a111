"""Checking the answer: each sentence against the passages it cites, and how relevant a sentence is to the
question."""
