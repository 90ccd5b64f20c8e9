"""Multinomial logistic regression over sentence embeddings, in numpy.

Two heads share the request's vector: the intent (find_product, call_staff, ...) and,
for labels written `intent:topic`, the topic the handler needs (which store policy;
a complaint or praise). Training is full-batch gradient descent with momentum on
standardized vectors, class-balanced (Bitext's call_staff rows outnumber the
written greetings 10 to 1), from zero weights: the same vectors give the same
weights, so a retrain reproduces the shipped model's accuracy. A few thousand rows
train in well under a second; embedding them is the cost (~4 ms a row on 2 cores).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
Matrix = npt.NDArray[np.float64]

FORMAT = 1  # bump when the .npz layout changes: an older file is then not loaded
STEPS = 400
RATE = 0.5
MOMENTUM = 0.9
L2 = 1e-3
# A request this close (cosine) to one of the store's own examples takes that example's
# label: a store's correction of a request applies to it at once, whatever the rest say.
RECALL_COSINE = 0.9


@dataclass(frozen=True)
class Head:
    """One softmax layer: labels, weights (dim x labels) and biases."""

    labels: tuple[str, ...]
    weights: Matrix
    bias: Matrix

    def probabilities(self, z: Matrix) -> Matrix:
        """Rows of label probabilities for standardized vectors `z`."""
        return _softmax(z @ self.weights + self.bias)


@dataclass(frozen=True)
class Prediction:
    """The classifier's intent, how sure it is, and the best topic of that intent."""

    intent: str
    p: float
    topic: str | None
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class IntentModel:
    """What `kiosk train` writes and the understand stage reads."""

    intents: Head
    topics: Head
    mean: Matrix
    scale: Matrix
    embedder: str  # the embedding model's file name: vectors of another model don't fit
    accuracy: float  # on the held-out split at training time
    rows: int
    # The store's own examples (vectors and labels), recalled by near-identical requests.
    memory: Vectors = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    memory_labels: tuple[str, ...] = ()

    def predict(self, vectors: Vectors) -> list[Prediction]:
        """One prediction per row of `vectors` (L2-normalized embeddings)."""
        z = (np.atleast_2d(vectors).astype(np.float64) - self.mean) / self.scale
        intent_p = self.intents.probabilities(z)
        topic_p = self.topics.probabilities(z) if self.topics.labels else None
        out: list[Prediction] = []
        near = (
            np.atleast_2d(vectors) @ self.memory.T
            if len(self.memory_labels)
            else np.zeros((len(intent_p), 0))
        )
        for i, row in enumerate(intent_p):
            if near.shape[1] and near[i].max() >= RECALL_COSINE:
                recalled, _, recalled_topic = self.memory_labels[int(near[i].argmax())].partition(
                    ":"
                )
                sim = float(near[i].max())
                out.append(Prediction(recalled, sim, recalled_topic or None, {recalled: sim}))
                continue
            best = int(row.argmax())
            intent = self.intents.labels[best]
            topic: str | None = None
            if topic_p is not None:
                mine = [
                    (topic_p[i, j], label.split(":", 1)[1])
                    for j, label in enumerate(self.topics.labels)
                    if label.split(":", 1)[0] == intent
                ]
                topic = max(mine)[1] if mine else None
            scores = {label: float(q) for label, q in zip(self.intents.labels, row, strict=True)}
            out.append(Prediction(intent, float(row[best]), topic, scores))
        return out

    def save(self, path: Path) -> None:
        """Write the model as one .npz (a few hundred KB), atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(
            tmp,
            format=np.array(FORMAT),
            intent_labels=np.array(self.intents.labels),
            intent_weights=self.intents.weights.astype(np.float32),
            intent_bias=self.intents.bias.astype(np.float32),
            topic_labels=np.array(self.topics.labels, dtype=str),
            topic_weights=self.topics.weights.astype(np.float32),
            topic_bias=self.topics.bias.astype(np.float32),
            mean=self.mean.astype(np.float32),
            scale=self.scale.astype(np.float32),
            embedder=np.array(self.embedder),
            accuracy=np.array(self.accuracy),
            rows=np.array(self.rows),
            memory=self.memory.astype(np.float32),
            memory_labels=np.array(self.memory_labels, dtype=str),
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        """Read a saved model; ValueError if it is not one this code wrote."""
        try:
            with np.load(path, allow_pickle=False) as f:
                if int(f["format"]) != FORMAT:
                    raise ValueError(f"{path} is intent model format {int(f['format'])}")

                def head(prefix: str) -> Head:
                    return Head(
                        tuple(str(s) for s in f[f"{prefix}_labels"]),
                        f[f"{prefix}_weights"].astype(np.float64),
                        f[f"{prefix}_bias"].astype(np.float64),
                    )

                return cls(
                    head("intent"),
                    head("topic"),
                    f["mean"].astype(np.float64),
                    f["scale"].astype(np.float64),
                    str(f["embedder"]),
                    float(f["accuracy"]),
                    int(f["rows"]),
                    f["memory"].astype(np.float32),
                    tuple(str(s) for s in f["memory_labels"]),
                )
        except (KeyError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{path} is not an intent model ({type(exc).__name__})") from None


def fit(
    vectors: Vectors,
    labels: list[str],
    *,
    embedder: str,
    accuracy: float = 0.0,
    weights: npt.NDArray[np.float64] | None = None,
    memory: tuple[Vectors, list[str]] | None = None,
) -> IntentModel:
    """Train both heads on embeddings and their `intent` / `intent:topic` labels.

    `weights` scale rows within their class (a store's own rows count more than
    shipped ones); `memory` is what the model recalls verbatim (the store's rows).
    """
    x = vectors.astype(np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    rw = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=np.float64)
    intents = [label.split(":", 1)[0] for label in labels]
    topical = [i for i, label in enumerate(labels) if ":" in label]
    topic_head = (
        _fit_head(z[topical], [labels[i] for i in topical], rw[topical])
        if len({labels[i] for i in topical}) >= 2
        else Head((), np.zeros((z.shape[1], 0)), np.zeros(0))
    )
    kept, kept_labels = memory or (np.zeros((0, x.shape[1]), np.float32), [])
    return IntentModel(
        _fit_head(z, intents, rw),
        topic_head,
        mean,
        scale,
        embedder,
        accuracy,
        len(labels),
        np.asarray(kept, dtype=np.float32).reshape(len(kept_labels), x.shape[1]),
        tuple(kept_labels),
    )


def _fit_head(z: Matrix, labels: list[str], rw: Matrix) -> Head:
    """Class-balanced softmax regression by full-batch gradient descent with momentum."""
    names = tuple(sorted(set(labels)))
    index = {name: i for i, name in enumerate(names)}
    y = np.zeros((len(labels), len(names)))
    y[np.arange(len(labels)), [index[label] for label in labels]] = 1.0
    # Each class counts the same in the loss, whatever its rows' number and weights.
    class_total = (y * rw[:, None]).sum(axis=0)
    row_weight = (y * (1.0 / (class_total * len(names)))).sum(axis=1, keepdims=True)
    row_weight *= rw[:, None]
    w = np.zeros((z.shape[1], len(names)))
    b = np.zeros(len(names))
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    for _ in range(STEPS):
        err = (_softmax(z @ w + b) - y) * row_weight
        gw = z.T @ err + L2 * w
        gb = err.sum(axis=0)
        vw = MOMENTUM * vw - RATE * gw
        vb = MOMENTUM * vb - RATE * gb
        w += vw
        b += vb
    return Head(names, w, b)


def _softmax(logits: Matrix) -> Matrix:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    out: Matrix = e / e.sum(axis=1, keepdims=True)
    return out
