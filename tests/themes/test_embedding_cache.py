"""Statement embeddings are computed once per (model, text) and then read from the database."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.themes.embeddings import embed_texts
from consult.themes.models import Embedding

pytestmark = pytest.mark.model


class CountingEmbedder:
    def __init__(self, inner):
        self.inner, self.name, self.dimension, self.seen = inner, inner.name, inner.dimension, []

    def embed(self, texts):
        self.seen.extend(texts)
        return self.inner.embed(texts)


def test_embeddings_are_cached_per_model_and_text(app, embedder):
    counting = CountingEmbedder(embedder)
    texts = [
        "Publish all public contracts.",
        "Lower the voting age to 16.",
        "Publish all public contracts.",
    ]
    first = embed_texts(texts, counting)
    assert sorted(counting.seen) == sorted(set(texts))  # the repeated text is embedded once
    assert first.shape == (3, embedder.dimension) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(first[0], first[2])
    counting.seen.clear()
    again = embed_texts(texts + ["A brand new statement about youth councils."], counting)
    assert counting.seen == ["A brand new statement about youth councils."]
    np.testing.assert_allclose(again[:3], first, rtol=1e-6)
    assert db.session.scalar(select(func.count()).select_from(Embedding)) == 3
