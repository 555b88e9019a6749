"""Evaluation: top-1 / top-5 accuracy, per-class accuracy, agreement between two models."""
from __future__ import annotations

import torch
import torch.nn as nn


def _batches(dataset, batch_size):
    if hasattr(dataset, "tensors"):
        x, y = dataset.tensors[:2]
        for i in range(0, len(y), batch_size):
            yield x[i:i + batch_size], y[i:i + batch_size]
    else:  # any map-style dataset (ImageNet folder)
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, num_workers=2)
        yield from loader


@torch.no_grad()
def predict(model: nn.Module, dataset, batch_size: int = 500):
    """Logits (on CPU) and labels of a whole dataset."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    logits, labels = [], []
    for x, y in _batches(dataset, batch_size):
        logits.append(model(x.to(device)).float().cpu())
        labels.append(y)
    model.train(was_training)
    return torch.cat(logits), torch.cat(labels)


def accuracy_from_logits(logits, labels, topk=(1, 5)):
    k = min(max(topk), logits.shape[1])
    top = logits.topk(k, 1).indices
    hit = top == labels[:, None]
    return {f"top{t}": 100.0 * hit[:, :min(t, k)].any(1).float().mean().item() for t in topk}


def evaluate(model: nn.Module, dataset, batch_size: int = 500, topk=(1, 5)) -> dict:
    """Top-k accuracy in percent, e.g. ``{'top1': 91.73, 'top5': 99.7}``.

    Under torchrun (:mod:`synq_nb.distributed`) each rank predicts a contiguous share of ``dataset``
    and the per-image hits are gathered in order, so every rank returns the one-process numbers."""
    from . import distributed as D

    if not D.is_distributed():
        logits, labels = predict(model, dataset, batch_size)
        if not torch.isfinite(logits).all():
            raise FloatingPointError("the model produced non-finite outputs on the evaluation set")
        return accuracy_from_logits(logits, labels, topk)
    start, stop = D.shard_range(len(dataset))
    logits, labels = predict(model, _subset(dataset, start, stop), batch_size)
    finite = D.all_reduce_mean(torch.tensor([float(bool(torch.isfinite(logits).all()))])).item() == 1.0
    if not finite:
        raise FloatingPointError("the model produced non-finite outputs on the evaluation set")
    k = min(max(topk), logits.shape[1])
    hit = logits.topk(k, 1).indices == labels[:, None]
    hits = torch.stack([hit[:, :min(t, k)].any(1) for t in topk], 1).to(torch.uint8)
    hits = D.all_gather_cat(hits).bool()  # every image's hits, in dataset order
    return {f"top{t}": 100.0 * hits[:, i].float().mean().item() for i, t in enumerate(topk)}


def _subset(dataset, start: int, stop: int):
    if hasattr(dataset, "tensors"):
        return torch.utils.data.TensorDataset(*(t[start:stop] for t in dataset.tensors[:2]))
    return torch.utils.data.Subset(dataset, range(start, stop))


def per_class_from_logits(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-class top-1 in percent from logits (N x classes) and labels (N); a class without images gets 0."""
    n = logits.shape[1]
    correct = torch.zeros(n).index_add_(0, labels, (logits.argmax(1) == labels).float())
    return 100.0 * correct / torch.bincount(labels, minlength=n).clamp(min=1)


def per_class_accuracy(model: nn.Module, dataset, batch_size: int = 500) -> torch.Tensor:
    """Per-class top-1 in percent of a model on a dataset (runs the model; see :func:`per_class_from_logits`)."""
    return per_class_from_logits(*predict(model, dataset, batch_size))


def agreement_from_logits(logits_a: torch.Tensor, logits_b: torch.Tensor) -> float:
    """Percentage of rows on which two sets of logits (same images, same order) pick the same class."""
    if logits_a.shape != logits_b.shape:
        raise ValueError(f"agreement needs logits of the same images: shapes {tuple(logits_a.shape)} and "
                         f"{tuple(logits_b.shape)} differ")
    return 100.0 * (logits_a.argmax(1) == logits_b.argmax(1)).float().mean().item()


def agreement(model_a: nn.Module, model_b: nn.Module, dataset, batch_size: int = 500) -> float:
    """Percentage of images on which the two models predict the same class (runs both models; with
    predictions already at hand use :func:`agreement_from_logits`)."""
    a, _ = predict(model_a, dataset, batch_size)
    b, _ = predict(model_b, dataset, batch_size)
    return agreement_from_logits(a, b)
