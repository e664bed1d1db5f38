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
from glassnet.core.model import Checkpoint
from glassnet.core.optimizers import OPTIMIZERS, make_optimizer
from glassnet.core.training import EpochInfo, TrainingState

from .modelfile import (
    MAX_FILE_BYTES,
    ModelFileError,
    atomic_write,
    build_model,
    encode,
    model_document,
    parse_json,
    read_container,
    read_tensors,
)

FILE = "checkpoint.safetensors"
FORMAT = "glassnet-checkpoint"
FORMAT_VERSION = 1
EPOCH_FIELDS = {f for f in EpochInfo.__dataclass_fields__}


def checkpoint_path(folder: str | os.PathLike[str]) -> Path:
    return Path(folder) / FILE


def to_bytes(checkpoint: Checkpoint, settings: dict[str, Any]) -> bytes:
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
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
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


def save_checkpoint(folder: str | os.PathLike[str], checkpoint: Checkpoint, settings: dict[str, Any]) -> None:
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
    atomic_write(path / FILE, to_bytes(checkpoint, settings))


def _need(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise ModelFileError(f"{where!r} is not a valid glassnet checkpoint: {message}")


def _int(value: Any, low: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def from_bytes(data: bytes, where: str = "<bytes>") -> tuple[Checkpoint, dict[str, Any]]:
    """Rebuild (checkpoint, settings), checking everything; raises ModelFileError."""
    header, meta = read_container(data, where)
    _need(isinstance(meta.get("glassnet_checkpoint"), str), where, "no checkpoint metadata (a model file?)")
    doc = parse_json(meta["glassnet_checkpoint"], where, "checkpoint")
    _need(doc.get("format") == FORMAT, where, f"format is {doc.get('format')!r}, expected {FORMAT!r}")
    version = doc.get("format_version")
    _need(_int(version), where, f"bad format_version {version!r}")
    assert isinstance(version, int)
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{where!r} was written by a newer glassnet (checkpoint format {version}): upgrade"
        )
    _need(version == FORMAT_VERSION, where, f"unknown format_version {version!r}")
    model_doc, expected = model_document(meta, where)
    sizes = model_doc["architecture"]["sizes"]
    for key in ("epoch", "batch", "updates", "stale"):
        _need(_int(doc.get(key)), where, f"bad {key} {doc.get(key)!r}")
    for key in ("total", "correct", "base_lr"):
        _need(isinstance(doc.get(key), (int, float)) and math.isfinite(doc[key]), where, f"bad {key}")
    _need(doc["base_lr"] > 0, where, "bad base_lr")
    best = doc.get("best")
    _need(best is None or (isinstance(best, (int, float)) and math.isfinite(best)), where, "bad best")
    _need(doc.get("best_epoch") is None or _int(doc.get("best_epoch"), 1), where, "bad best_epoch")
    history = doc.get("history")
    _need(
        isinstance(history, list) and len(history) == doc["epoch"], where, "history does not match the epoch"
    )
    assert isinstance(history, list)
    for entry in history:
        ok = isinstance(entry, dict) and set(entry) <= EPOCH_FIELDS and "epoch" in entry and "loss" in entry
        numbers = ok and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in entry.values()
        )
        _need(numbers, where, "bad history entry")
    rng_state = doc.get("rng_state")
    _need(
        isinstance(rng_state, dict) and rng_state.get("bit_generator") == "PCG64",
        where,
        "bad Generator state",
    )
    opt_doc = doc.get("optimizer")
    _need(
        isinstance(opt_doc, dict) and opt_doc.get("name") in (*OPTIMIZERS, "nesterov"), where, "bad optimizer"
    )
    assert isinstance(opt_doc, dict)
    n_arrays = opt_doc.get("arrays")
    _need(_int(n_arrays), where, "bad optimizer state count")
    assert isinstance(n_arrays, int) and isinstance(rng_state, dict)
    settings = doc.get("settings")
    _need(isinstance(settings, dict), where, "bad settings")
    assert isinstance(settings, dict)

    trainable = []  # the network's trainable arrays, in its order: W1, b1, W2, b2, ...
    for l in range(len(sizes) - 1):
        trainable.append(expected[f"layers.{l}.W"])
        if f"layers.{l}.b" in expected and model_doc["architecture"]["train_biases"]:
            trainable.append(expected[f"layers.{l}.b"])
    extra: dict[str, tuple[tuple[int, ...], np.dtype[Any]]] = {}
    order_info = header.get("train.order")
    rows = order_info.get("shape") if isinstance(order_info, dict) else None
    _need(
        isinstance(rows, list) and len(rows) == 1 and _int(rows[0], 1) and rows[0] <= 10**9,
        where,
        "bad order",
    )
    assert isinstance(rows, list)
    extra["train.order"] = ((rows[0],), np.dtype(np.int64))
    opt_specs = (trainable * 2 if opt_doc["name"] == "adam" else trainable) if n_arrays else []
    _need(len(opt_specs) == n_arrays, where, "the optimizer state does not match the network")
    extra.update({f"train.opt.{i}": spec for i, spec in enumerate(opt_specs)})
    if doc.get("has_best") is True:
        extra.update({f"train.best.{k[7:]}": spec for k, spec in expected.items() if k.startswith("layers.")})
    if doc.get("epoch_start") is not None:
        _need(doc["epoch_start"] == len(trainable), where, "bad epoch_start")
        extra.update({f"train.start.{i}": spec for i, spec in enumerate(trainable)})
    tensors = read_tensors(data, header, meta, {**expected, **extra}, where)
    order = tensors["train.order"]
    _need(
        bool(np.array_equal(np.sort(order), np.arange(len(order)))),
        where,
        "the example order is not a permutation",
    )
    _need(doc["batch"] <= len(order), where, "bad batch position")

    model = build_model(model_doc, tensors, where)
    try:
        options = {k: v for k, v in opt_doc.items() if k not in ("name", "lr", "state", "arrays")}
        optimizer = make_optimizer(opt_doc["name"], opt_doc["lr"], **options)
        optimizer.set_state(opt_doc.get("state") or {}, [tensors[f"train.opt.{i}"] for i in range(n_arrays)])
        generator = np.random.default_rng()
        generator.bit_generator.state = rng_state
    except (GlassnetError, TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{where!r} is not a valid glassnet checkpoint: {exc}") from None
    best_weights = None
    if doc.get("has_best") is True:
        best_weights = [
            (tensors[f"train.best.{l}.W"], tensors.get(f"train.best.{l}.b")) for l in range(len(sizes) - 1)
        ]
    state = TrainingState(
        epoch=doc["epoch"],
        batch=doc["batch"],
        order=order,
        rng_state=dict(generator.bit_generator.state),
        base_lr=float(doc["base_lr"]),
        updates=doc["updates"],
        total=float(doc["total"]),
        correct=float(doc["correct"]),
        history=[EpochInfo(**entry) for entry in history],
        best=math.inf if best is None else float(best),
        best_epoch=doc.get("best_epoch"),
        stale=doc["stale"],
        best_weights=best_weights,
        epoch_start=None
        if doc.get("epoch_start") is None
        else [tensors[f"train.start.{i}"] for i in range(doc["epoch_start"])],
    )
    return Checkpoint(model, optimizer, state), settings


def load_checkpoint(folder: str | os.PathLike[str]) -> tuple[Checkpoint, dict[str, Any]]:
    """Load DIR/checkpoint.safetensors, trusting nothing in it; raises ModelFileError."""
    path = checkpoint_path(folder)
    where = str(path)
    try:
        size = os.path.getsize(path)
        _need(size <= MAX_FILE_BYTES, where, f"the file is {size} bytes, larger than any glassnet checkpoint")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"no checkpoint in {str(folder)!r} (expected {FILE} there)") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read checkpoint {where!r}: {exc.strerror}") from None
    return from_bytes(data, where)
