"""Finding the passages that answer: hybrid BM25 + dense retrieval, filters, the dates a question names."""
