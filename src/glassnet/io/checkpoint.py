"""Checkpoints: a training run frozen at a batch boundary, in ONE .safetensors file inside a folder.

``DIR/checkpoint.safetensors`` holds the model (as a model file does), the optimizer's state arrays, the
epoch's example order and, when kept, the best weights so far; its metadata adds a JSON document with the
epoch, the batch, the Generator's state, the base learning rate, the running totals, the history and the
run's settings. It is written like a model file (temporary file, fsync, rename), so it is always the old
or the new complete checkpoint; a checksum covers everything, and loading trusts nothing in it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.core.errors import GlassnetError
from glassnet.core.model import TrainingCheckpoint
from glassnet.core.optimizers import make_optimizer
from glassnet.core.training import EpochInfo, TrainingState

from .files import atomic_write, bytes_as_file
from .formats import CHECKPOINT_FILE, CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION
from .modelfile import (
    MAX_FILE_BYTES,
    Container,
    Expected,
    ModelFileError,
    build_model,
    check_format,
    checked,
    encode,
    model_document,
    open_container,
    parse_json,
    read_tensors,
)


def checkpoint_path(folder: str | os.PathLike[str]) -> Path:
    return Path(folder) / CHECKPOINT_FILE


def to_bytes(checkpoint: TrainingCheckpoint, settings: dict[str, Any]) -> bytes:
    """The checkpoint as .safetensors bytes."""
    state, opt, model = checkpoint.state, checkpoint.optimizer, checkpoint.model
    scalars, arrays = opt.get_state()
    tensors: dict[str, np.ndarray] = {"train.order": np.asarray(state.order, dtype=np.int64)}
    tensors.update({f"train.opt.{i}": np.ascontiguousarray(a) for i, a in enumerate(arrays)})
    if state.best_weights is not None:
        for l, (W, b) in enumerate(state.best_weights):
            tensors[f"train.best.{l}.W"] = W
            if b is not None:
                tensors[f"train.best.{l}.b"] = b
    if state.epoch_start is not None:
        tensors.update({f"train.start.{i}": a for i, a in enumerate(state.epoch_start)})
    doc = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "epoch": state.epoch,
        "batch": state.batch,
        "updates": state.updates,
        "total": state.total,
        "correct": state.correct,
        "base_lr": state.base_lr,
        "best": None if math.isinf(state.best) else state.best,
        "best_epoch": state.best_epoch,
        "stale": state.stale,
        "rng_state": state.rng_state,
        "history": [vars(info) for info in state.history],
        "optimizer": {**opt.settings(), "state": scalars, "arrays": len(arrays)},
        "has_best": state.best_weights is not None,
        "epoch_start": None if state.epoch_start is None else len(state.epoch_start),
        "settings": settings,
    }
    return encode(model, tensors, {"glassnet_checkpoint": json.dumps(doc, allow_nan=False)})


def save_checkpoint(
    folder: str | os.PathLike[str], checkpoint: TrainingCheckpoint, settings: dict[str, Any]
) -> None:
    """Write DIR/checkpoint.safetensors atomically (creating DIR if needed)."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise GlassnetError(f"the checkpoint folder {str(path)!r} is a file; expected a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GlassnetError(
            f"cannot create the checkpoint folder {str(path)!r}: {exc.strerror or exc}"
        ) from None
    atomic_write(path / CHECKPOINT_FILE, to_bytes(checkpoint, settings))


def _need(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise ModelFileError(f"{where!r} is not a valid glassnet checkpoint: {message}")


def from_bytes(data: bytes, where: str = "<bytes>") -> tuple[TrainingCheckpoint, dict[str, Any]]:
    """Rebuild (checkpoint, settings), checking everything; raises ModelFileError."""
    _need(len(data) <= MAX_FILE_BYTES, where, f"{len(data)} bytes, larger than any glassnet checkpoint")
    with bytes_as_file(data) as path, open_container(path, where, "checkpoint") as container:
        return _checkpoint(container, where)


def _checkpoint(container: Container, where: str) -> tuple[TrainingCheckpoint, dict[str, Any]]:
    from .schema import CheckpointDocument

    meta = container.metadata
    _need(isinstance(meta.get("glassnet_checkpoint"), str), where, "no checkpoint metadata (a model file?)")
    raw = parse_json(meta["glassnet_checkpoint"], where, "checkpoint")
    check_format(
        raw, where, "checkpoint metadata", "checkpoint", CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION
    )
    doc = checked(CheckpointDocument, raw, where, "checkpoint metadata", "checkpoint")
    model_doc, expected = model_document(meta, where)
    sizes = model_doc.architecture.sizes

    trainable = []  # the network's trainable arrays, in its order: W1, b1, W2, b2, ...
    for l in range(len(sizes) - 1):
        trainable.append(expected[f"layers.{l}.W"])
        if f"layers.{l}.b" in expected and model_doc.architecture.train_biases:
            trainable.append(expected[f"layers.{l}.b"])
    extra: Expected = {}
    _need("train.order" in container.names(), where, "no example order (tensor 'train.order')")
    rows = container.dtype_and_shape("train.order")[1]
    _need(
        len(rows) == 1 and 1 <= rows[0] <= 10**9,
        where,
        f"the example order has shape {rows}; expected one dimension of 1 to 10**9 rows",
    )
    extra["train.order"] = ((rows[0],), np.dtype(np.int64))
    opt_doc, n_arrays = doc.optimizer, doc.optimizer.arrays
    opt_specs = (trainable * 2 if opt_doc.name == "adam" else trainable) if n_arrays else []
    _need(
        len(opt_specs) == n_arrays,
        where,
        f"the optimizer's {n_arrays} state arrays do not match the network's {len(trainable)} trainable ones",
    )
    extra.update({f"train.opt.{i}": spec for i, spec in enumerate(opt_specs)})
    if doc.has_best:
        extra.update({f"train.best.{k[7:]}": spec for k, spec in expected.items() if k.startswith("layers.")})
    if doc.epoch_start is not None:
        _need(
            doc.epoch_start == len(trainable),
            where,
            f"epoch_start is {doc.epoch_start}; the network has {len(trainable)} trainable arrays",
        )
        extra.update({f"train.start.{i}": spec for i, spec in enumerate(trainable)})
    tensors = read_tensors(container, {**expected, **extra}, where)
    order = tensors["train.order"]
    _need(
        bool(np.array_equal(np.sort(order), np.arange(len(order)))),
        where,
        "the example order is not a permutation",
    )
    _need(doc.batch <= len(order), where, f"batch {doc.batch} is past the {len(order)} examples")

    model = build_model(model_doc, tensors, where)
    try:
        optimizer = make_optimizer(opt_doc.name, opt_doc.lr, **opt_doc.options())
        optimizer.set_state(dict(opt_doc.state), [tensors[f"train.opt.{i}"] for i in range(n_arrays)])
        generator = np.random.default_rng()
        generator.bit_generator.state = doc.rng_state.model_dump()
    except (GlassnetError, TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{where!r} is not a valid glassnet checkpoint: {exc}") from None
    best_weights = None
    if doc.has_best:
        best_weights = [
            (tensors[f"train.best.{l}.W"], tensors.get(f"train.best.{l}.b")) for l in range(len(sizes) - 1)
        ]
    state = TrainingState(
        epoch=doc.epoch,
        batch=doc.batch,
        order=order,
        rng_state=dict(generator.bit_generator.state),
        base_lr=doc.base_lr,
        updates=doc.updates,
        total=doc.total,
        correct=doc.correct,
        history=[EpochInfo(**entry.model_dump()) for entry in doc.history],
        best=math.inf if doc.best is None else doc.best,
        best_epoch=doc.best_epoch,
        stale=doc.stale,
        best_weights=best_weights,
        epoch_start=None
        if doc.epoch_start is None
        else [tensors[f"train.start.{i}"] for i in range(doc.epoch_start)],
    )
    return TrainingCheckpoint(model, optimizer, state), doc.settings.model_dump(exclude_unset=True)


def load_checkpoint(folder: str | os.PathLike[str]) -> tuple[TrainingCheckpoint, dict[str, Any]]:
    """Load DIR/checkpoint.safetensors, trusting nothing in it; raises ModelFileError."""
    path = checkpoint_path(folder)
    where = str(path)
    try:
        with open_container(path, where, "checkpoint") as container:
            return _checkpoint(container, where)
    except FileNotFoundError:
        raise ModelFileError(f"no checkpoint in {str(folder)!r} (expected {CHECKPOINT_FILE} there)") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read checkpoint {where!r}: {exc.strerror}") from None
