"""The offline sentence embedder: packaged model, unit-length float32 vectors, clear errors."""

from __future__ import annotations

import os

import numpy as np
import pytest

from clustering.embeddings import (
    DEFAULT_MODEL_NAME,
    MODEL_ENV,
    Embedder,
    EmbeddingModelError,
    default_embedder,
    packaged_model_path,
    resolve_model,
)


@pytest.mark.model
def test_default_embedder_gives_unit_float32_rows_offline(embedder):
    vectors = embedder.embed(["Publish all public contracts.", "Lower the voting age to 16."])
    assert isinstance(embedder, Embedder)
    assert embedder.name == DEFAULT_MODEL_NAME
    assert vectors.shape == (2, embedder.dimension) == (2, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert default_embedder() is embedder


@pytest.mark.model
def test_embeddings_are_deterministic_and_independent_of_the_batch(embedder):
    texts = ["Court decisions should be published.", "Fund youth councils.", "Ban spyware."]
    first = embedder.embed(texts)
    assert np.array_equal(first, embedder.embed(texts))
    alone = embedder.embed([texts[1]])
    assert np.allclose(alone[0], first[1], atol=1e-5)


@pytest.mark.model
def test_similar_meanings_are_closer_than_unrelated_ones(embedder):
    a, b, c = embedder.embed(
        [
            "Every public contract should be published online.",
            "Put all government contracts on the internet.",
            "Young people need more sports facilities.",
        ]
    )
    assert a @ b > a @ c + 0.2


@pytest.mark.model
def test_empty_input_and_single_string(embedder):
    assert embedder.embed([]).shape == (0, embedder.dimension)
    with pytest.raises(TypeError):
        embedder.embed("not a list")


def test_model_resolution_order(monkeypatch, tmp_path):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    assert resolve_model() == (DEFAULT_MODEL_NAME, str(packaged_model_path()))
    monkeypatch.setenv(MODEL_ENV, str(tmp_path))
    assert resolve_model() == (str(tmp_path.resolve()), str(tmp_path.resolve()))
    assert resolve_model("org/some-model")[0] == "org/some-model"  # the argument wins
    monkeypatch.setenv(MODEL_ENV, "  ")
    assert resolve_model()[0] == DEFAULT_MODEL_NAME


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingModelError, match="does not exist"):
        resolve_model(str(tmp_path / "nowhere"))


@pytest.mark.model
def test_a_model_name_not_on_disk_fails_instead_of_downloading(embedder):
    with pytest.raises(EmbeddingModelError, match="offline"):
        default_embedder("consult-tests/no-such-model")
