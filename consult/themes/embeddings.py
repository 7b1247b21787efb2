"""Embeddings of statement texts through the database cache (computed once per model and text)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from clustering.embeddings import Embedder, default_embedder
from consult.database import write_transaction
from consult.extensions import db
from consult.themes.models import Embedding

LOOKUP_CHUNK = 500


def app_embedder() -> Embedder:
    """The embedder configured for this app (CONSULT_EMBEDDING_MODEL, else the packaged model)."""
    return default_embedder(current_app.config.get("CONSULT_EMBEDDING_MODEL"))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def embed_texts(texts: Sequence[str], embedder: Embedder | None = None) -> np.ndarray:
    """Unit-length float32 vectors for ``texts``, from the cache where possible.

    Texts not in the cache are embedded in one batch and stored; a text cached by another process
    meanwhile is simply kept (insert … on conflict do nothing).
    """
    embedder = embedder or app_embedder()
    hashes = [text_hash(t) for t in texts]
    found = cached_vectors(embedder.name, hashes)
    missing = sorted({h: t for h, t in zip(hashes, texts, strict=True) if h not in found}.items())
    if missing:
        vectors = np.asarray(embedder.embed([t for _, t in missing]), dtype="<f4")
        rows = [
            {
                "model": embedder.name,
                "text_hash": h,
                "dimension": vectors.shape[1],
                "vector": v.tobytes(),
            }
            for (h, _), v in zip(missing, vectors, strict=True)
        ]
        with write_transaction(db.session) as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            session.execute(insert(Embedding).on_conflict_do_nothing(), rows)
        found.update({h: v for (h, _), v in zip(missing, vectors, strict=True)})
    if not texts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)


def cached_vectors(model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    """The cached vectors among ``hashes`` for ``model``: hash → vector."""
    found: dict[str, np.ndarray] = {}
    unique = sorted(set(hashes))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start : start + LOOKUP_CHUNK]
        rows = db.session.execute(
            select(Embedding.text_hash, Embedding.vector).where(
                Embedding.model == model, Embedding.text_hash.in_(chunk)
            )
        )
        for digest, blob in rows:
            found[digest] = np.frombuffer(blob, dtype="<f4")
    return found
