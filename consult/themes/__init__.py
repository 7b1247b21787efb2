"""Themes: what people are saying, from sentence embeddings, kept stable across runs and phases."""
