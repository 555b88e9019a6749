"""Evaluation metrics against hand counts: top-k, per-class accuracy, agreement; evaluation in eval mode,
in batches of any size, on tensor and map-style datasets. Tiny models, no data files."""
from __future__ import annotations

import pytest
import torch

from synq_nb import agreement, evaluate, per_class_accuracy, predict
from synq_nb.evaluation import accuracy_from_logits
from tiny_nets import NUM_CLASSES, tiny_images


def tiny_teacher(seed):
    """A linear classifier with a BatchNorm in front (whose train-mode output differs from its eval-mode one):
    its predictions vary from image to image."""
    torch.manual_seed(seed)
    bn = torch.nn.BatchNorm1d(3 * 8 * 8)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    return torch.nn.Sequential(torch.nn.Flatten(), bn, torch.nn.Linear(3 * 8 * 8, NUM_CLASSES)).eval()


def _topk_by_hand(logits, labels, k):
    hits = 0
    for z, y in zip(logits.tolist(), labels.tolist()):
        order = sorted(range(len(z)), key=lambda c: -z[c])
        hits += y in order[:k]
    return 100.0 * hits / len(labels)


def test_topk_by_hand():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(50, 8, generator=g)
    labels = torch.randint(0, 8, (50,), generator=g)
    acc = accuracy_from_logits(logits, labels, topk=(1, 2, 5))
    assert set(acc) == {"top1", "top2", "top5"}
    for k in (1, 2, 5):
        assert acc[f"top{k}"] == pytest.approx(_topk_by_hand(logits, labels, k))
    assert 0 < acc["top1"] < acc["top2"] < acc["top5"] < 100
    # fewer classes than k: top-5 of 3 classes is always a hit
    acc3 = accuracy_from_logits(logits[:, :3], labels % 3)
    assert acc3["top5"] == 100.0 and acc3["top1"] == pytest.approx(_topk_by_hand(logits[:, :3], labels % 3, 1))


class _MapStyle(torch.utils.data.Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def test_evaluate_equals_a_hand_count_in_eval_mode():
    model = tiny_teacher(seed=1)
    x, y = tiny_images(n=23, seed=2)
    y = y.roll(3)
    with torch.no_grad():
        logits = model.eval()(x)
    expected = _topk_by_hand(logits, y, 1)
    model.train()  # predict switches to eval mode (BN running statistics) and back
    for bs in (1, 5, 23, 500):
        r = evaluate(model, torch.utils.data.TensorDataset(x, y), batch_size=bs, topk=(1, 3))
        assert r["top1"] == pytest.approx(expected) and r["top3"] == pytest.approx(_topk_by_hand(logits, y, 3))
        assert model.training
    p_logits, p_labels = predict(model, torch.utils.data.TensorDataset(x, y), batch_size=4)
    torch.testing.assert_close(p_logits, logits) and torch.testing.assert_close(p_labels, y)
    assert 0 < expected < 100
    # a map-style dataset goes through a DataLoader: same numbers
    r = evaluate(model.eval(), _MapStyle(x, y), batch_size=7, topk=(1, 3))
    assert r["top1"] == pytest.approx(expected)


def test_evaluate_refuses_non_finite_outputs():
    model = tiny_teacher(seed=1)
    x, y = tiny_images(n=4, seed=3)
    x[2] = float("nan")
    with pytest.raises(FloatingPointError, match="non-finite"):
        evaluate(model, torch.utils.data.TensorDataset(x, y))


def test_per_class_accuracy_and_agreement_by_hand():
    a, b = tiny_teacher(seed=4), tiny_teacher(seed=5)
    x, _ = tiny_images(n=30, seed=6)
    with torch.no_grad():
        pa, pb = a(x).argmax(1), b(x).argmax(1)
    y = pa.clone()
    y[::3] = (y[::3] + 1) % NUM_CLASSES  # every third image wrong for model a
    ds = torch.utils.data.TensorDataset(x, y)
    per_class = per_class_accuracy(a, ds, batch_size=7)
    assert per_class.shape == (NUM_CLASSES,)
    for c in range(NUM_CLASSES):
        mask = y == c
        want = 100.0 * float((pa[mask] == c).float().mean()) if mask.any() else 0.0
        assert float(per_class[c]) == pytest.approx(want, abs=1e-4), c
    agree = 100.0 * float((pa == pb).float().mean())
    assert 0 < agree < 100
    assert agreement(a, b, ds, batch_size=4) == pytest.approx(agree)
    assert agreement(a, a, ds) == 100.0


def test_per_class_from_logits_edge_classes():
    from synq_nb.evaluation import per_class_from_logits

    logits = torch.tensor([[5.0, 0, 0, 0], [0, 5.0, 0, 0], [5.0, 0, 0, 0], [0, 0, 5.0, 0]])
    labels = torch.tensor([0, 1, 1, 2])  # class 2 has a single image, class 3 (the last) none
    got = per_class_from_logits(logits, labels)
    assert got.tolist() == pytest.approx([100.0, 50.0, 100.0, 0.0])


def test_agreement_from_logits_needs_the_same_images():
    from synq_nb.evaluation import agreement_from_logits

    a = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    b = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    assert agreement_from_logits(a, b) == pytest.approx(200 / 3)
    with pytest.raises(ValueError, match=r"agreement needs logits of the same images: shapes \(3, 2\) and \(2, 2\) differ"):
        agreement_from_logits(a, b[:2])


def test_evaluate_message_and_extra_dataset_tensors():
    model = tiny_teacher(seed=1)
    x, y = tiny_images(n=9, seed=8)
    ds3 = torch.utils.data.TensorDataset(x, y, torch.arange(9))  # a third tensor (e.g. indices) is ignored
    assert evaluate(model, ds3, batch_size=4) == evaluate(model, torch.utils.data.TensorDataset(x, y))
    x[4] = float("inf")
    with pytest.raises(FloatingPointError, match=r"^the model produced non-finite outputs on the evaluation set$"):
        evaluate(model, torch.utils.data.TensorDataset(x, y))


class FakeRanks:
    """synq_nb.distributed faked in one process: ``rank`` of ``world`` ranks, the collectives answered with the
    other ranks' contributions recorded beforehand (run the ranks from the last to the first)."""

    def __init__(self, monkeypatch, world, rank, others):
        import synq_nb.distributed as D

        self.others, self.rank, self.world = others, rank, world
        n_calls = {"reduce": 0, "gather": 0}

        def shard_range(n):
            base, extra = divmod(n, world)
            start = rank * base + min(rank, extra)
            return start, start + base + (rank < extra)

        def all_reduce_mean(t):
            i = n_calls["reduce"]
            n_calls["reduce"] += 1
            others.setdefault(("reduce", i), {})[rank] = t.clone()
            return torch.stack(list(others[("reduce", i)].values())).mean(0) if rank == 0 else t

        def all_gather_cat(t):
            i = n_calls["gather"]
            n_calls["gather"] += 1
            others.setdefault(("gather", i), {})[rank] = t.clone()
            parts = others[("gather", i)]
            return torch.cat([parts[r] for r in sorted(parts)]) if rank == 0 else t

        for name, fn in dict(is_distributed=lambda: True, world_size=lambda: world, rank=lambda: rank,
                             is_main=lambda: rank == 0, shard_range=shard_range, all_reduce_mean=all_reduce_mean,
                             all_gather_cat=all_gather_cat).items():
            monkeypatch.setattr(D, name, fn)


@pytest.mark.parametrize("world", [2, 3])
def test_sharded_evaluation_gathers_the_one_process_numbers(monkeypatch, world):
    """evaluate() under torchrun, with the collectives faked in one process: each rank predicts its shard (an
    uneven split), rank 0 gathers the hits in order and reports exactly the one-process top-k."""
    model = tiny_teacher(seed=2)
    x, y = tiny_images(n=11, seed=9)
    y = y.roll(1)
    seen = []
    model.register_forward_pre_hook(lambda m, inp: seen.append(inp[0].detach().clone()))
    for ds in (torch.utils.data.TensorDataset(x, y), _MapStyle(x, y)):
        want = evaluate(model, ds, topk=(1, 2, 4))
        assert 0 < want["top1"] < want["top2"] < want["top4"] < 100
        shared = {}
        shards = []
        for rank in reversed(range(world)):
            with monkeypatch.context() as mp:
                FakeRanks(mp, world, rank, shared)
                seen.clear()
                got = evaluate(model, ds, batch_size=2, topk=(1, 2, 4))
                shards.append(torch.cat(seen))
        assert got == pytest.approx(want)
        # each rank ran the model on its own contiguous shard only (sizes differ by at most one)
        torch.testing.assert_close(torch.cat(shards[::-1]), x, atol=0, rtol=0)
        assert max(map(len, shards)) - min(map(len, shards)) <= 1
    # a non-finite output on any rank's shard is an error on rank 0
    x_bad = x.clone()
    x_bad[-1] = float("nan")  # in the last rank's shard
    ds = torch.utils.data.TensorDataset(x, y)
    shared = {}
    with pytest.raises(FloatingPointError, match=r"^the model produced non-finite outputs on the evaluation set$"):
        for rank in reversed(range(world)):
            with monkeypatch.context() as mp:
                FakeRanks(mp, world, rank, shared)
                try:
                    evaluate(model, torch.utils.data.TensorDataset(x_bad, y), topk=(1,))
                except FloatingPointError:
                    if rank == 0:
                        raise
