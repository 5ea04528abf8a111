"""Ingest: load, clean, chunk and index articles."""
