"""Readings of notebook 05 (fine-tuning with the full SynQ objective), generated from the values it computed: the
first batch's loss split into the terms of Eq. 6, what one step did, whether this execution trained the run or
reloaded it (with the training time measured when it was computed), the loss and accuracy curves, the weighted
terms over the epochs, RTN against the fine-tuned student, the final epoch against the best one, and the gradient
norms of Exercise 3.

Every function takes numbers the notebook printed and returns Markdown; where the reading depends on the outcome,
the function picks the words (``tests/test_readings_05.py`` checks each branch on both sides).
"""
from __future__ import annotations

import math
import statistics

from . import num, paired_sentence, signed
from . import join_list as _list, plural as _plural
from ..results import interval_verdict, paired

# Thresholds of the verdicts (each is named in the reading it shapes)
FEW_CODES = 0.01   # one step that changes fewer than this share of the 4-bit codes changes "almost none"
SMALL_RAW = 0.1    # a raw term below this fraction of KD is "small next to KD"
NOISE_SD = 2.0     # accuracy that moves by less than this many binomial sds of one test accuracy is "flat"
LOSS_FELL = 0.10   # a loss that fell by at least this share "kept falling"
CONSTANT_SHARE = 5.0  # a CE share whose range over the epochs is within this many points is "about constant"
SPIKE = 2.0        # an iteration's loss above this multiple of its neighbours' median is a spike
NEIGHBOURS = 10    # iterations each side for that median


def _pct(x: float, digits: int = 0) -> str:
    """``0.367`` -> ``'37 %'``."""
    return f"{100 * x:.{digits}f} %"






# ------------------------------------------------------------------ one batch, one step
def first_batch(kd: float, ce: float, cam: float, lambda_ce: float, lambda_cam: float, loss: float,
                hard_frac: float, tau: float) -> str:
    """The first batch's loss split into the weighted terms of Eq. 6 (raw ``kd``, ``ce``, ``cam`` as
    ``SynQStep`` returns them; ``hard_frac``: the share of the batch with difficulty <= tau)."""
    parts = {"distillation (KD)": kd, f"{lambda_ce:g} × CE": lambda_ce * ce, f"{lambda_cam:g} × CAM": lambda_cam * cam}
    share = {k: v / loss for k, v in parts.items()}
    largest = max(parts, key=parts.get)
    text = (f"On this batch $L$ = {num(loss, 4)}: KD {num(kd, 4)} ({_pct(share['distillation (KD)'])}), "
            f"{lambda_ce:g} × CE {num(lambda_ce * ce, 4)} ({_pct(share[f'{lambda_ce:g} × CE'])}) and {lambda_cam:g} × CAM "
            f"{num(lambda_cam * cam, 4)} ({_pct(share[f'{lambda_cam:g} × CAM'])}). The largest part is {largest}.")
    if hard_frac <= 0:
        text += f" No sample of this batch has $\\delta \\le \\tau$ = {tau:g}, so the cross-entropy term is zero."
    else:
        text += (f" The cross-entropy acts on the {_pct(hard_frac)} of the batch with $\\delta \\le \\tau$ = {tau:g}: "
                 f"their mean CE is {num(ce / hard_frac, 4)}, and divided over the whole batch it becomes the "
                 f"{num(ce, 4)} printed.")
    if cam < SMALL_RAW * kd:
        text += (f" The raw CAM term, {num(cam, 5)}, is {kd / cam:.0f}× smaller than KD; only its weight "
                 f"$\\lambda_{{CAM}}$ = {lambda_cam:g} lifts it to {_pct(share[f'{lambda_cam:g} × CAM'])} of $L$.")
    else:
        text += (f" The raw CAM term, {num(cam, 5)}, is not small next to KD ({num(kd, 4)}): with $\\lambda_{{CAM}}$ = "
                 f"{lambda_cam:g} it weighs {_pct(share[f'{lambda_cam:g} × CAM'])} of $L$.")
    return text


def one_step(codes_changed: int, weights: int, channels_regridded: int, channels: int, max_step_fraction: float,
             grad_norm: float, grad_clip: float, loss_before: float, loss_after: float, loss_unquantized: float,
             loss_quantized: float) -> str:
    """What one SGD step did: the 4-bit codes and grids it moved, whether the gradient was clipped, and where the
    change of the batch's loss came from: ``loss_unquantized`` is the loss with the step applied only to the
    parameters that are not quantized (BatchNorm scales and shifts, biases), ``loss_quantized`` with the step
    applied only to the quantized layers' latent weights (their flipped codes and moved grids)."""
    frac = codes_changed / weights
    if frac < FEW_CODES:
        verdict = "almost none"
    else:
        verdict = f"not few: at least {_pct(FEW_CODES)} of the codes, so this step was not a small one"
    lines = [f"- **Codes.** The step changed {codes_changed:,} of {weights:,} 4-bit weight codes "
             f"({100 * frac:.3f} %): {verdict}. No latent weight moved by more than {max_step_fraction:.3f} of its "
             f"channel's quantization step, so a code could change only where a latent weight sat that close to a "
             f"rounding boundary. The grids of {channels_regridded} of {channels} channels moved, because the "
             f"smallest or largest weight of the channel moved, by a similarly small amount."]
    if not grad_clip:
        lines.append(f"- **Gradient.** Its norm was {grad_norm:.3f}; no clipping is set, so the raw gradient set the "
                     f"size of the step.")
    elif grad_norm > grad_clip:
        lines.append(f"- **Gradient.** Its norm was {grad_norm:.3f}, above the threshold {grad_clip:g}: the clip "
                     f"scaled it by {grad_clip / grad_norm:.2f}, so the threshold, not the raw gradient, set the size "
                     f"of this step.")
    else:
        lines.append(f"- **Gradient.** Its norm was {grad_norm:.3f}, below the threshold {grad_clip:g}: the clip did "
                     f"nothing, and the raw gradient set the size of this step.")
    total = loss_after - loss_before
    pu, pq = loss_unquantized - loss_before, loss_quantized - loss_before
    if abs(total) < 1e-6:
        lines.append(f"- **Loss.** The loss on this batch did not change ({num(loss_before, 4)}).")
        return "\n".join(lines)
    su, sq = pu / total, pq / total
    text = (f"- **Loss.** The loss on this batch {'fell' if total < 0 else 'rose'} from {num(loss_before, 4)} to "
            f"{num(loss_after, 4)} ({signed(total, 4)}). With the step applied only to the parameters that are not "
            f"quantized (BatchNorm scales and shifts, biases) it is {num(loss_unquantized, 4)} ({signed(pu, 4)}, "
            f"{_pct(su)} of the whole change); with the step applied only to the quantized layers' latent weights "
            f"it is {num(loss_quantized, 4)} ({signed(pq, 4)}, {_pct(sq)}).")
    if sq > su:
        text += (f" So most of the change came from the quantized layers, through the {codes_changed:,} codes that "
                 f"flipped and the grids that moved (how the change splits between the two is not measured here).")
    else:
        text += (" So most of the change came from the parameters that are not quantized, which the step changes "
                 "directly; the quantized layers, with their few flipped codes, gave less.")
    if abs(su + sq - 1) > 0.05:
        text += (f" The two parts add up to {_pct(su + sq)}, not 100 %: the loss is not linear in the parameters, so "
                 f"the effects of the two groups interact.")
    return "\n".join(lines + [text])


# ------------------------------------------------------------------ the run: computed or reloaded
def run_time(epoch_seconds, epochs_before: int, epochs_done: int, call_seconds: float, device: str) -> str:
    """Whether this execution trained the run, resumed it or reloaded it, with the training time measured when
    the epochs were computed (``epoch_seconds``: the history's per-epoch seconds, test evaluations excluded;
    ``epochs_before``: epochs the checkpoint held before this call; ``call_seconds``: this call's seconds: the
    summary line's, or its reload time when the run was reloaded)."""
    secs = [float(s) for s in epoch_seconds]
    total = sum(secs)
    if not secs:
        spread = "no epoch"
    elif num(min(secs), 0) == num(max(secs), 0):
        spread = f"about {num(min(secs), 0)} s per epoch"
    else:
        spread = f"{num(min(secs), 0)} to {num(max(secs), 0)} s per epoch"
    call = (f"The {num(call_seconds, 0)} s of the summary line are this call's: loading, the full-precision and "
            f"RTN evaluations, ")
    if epochs_before <= 0:
        return (f"**Computed in this execution.** No checkpoint of this run existed, so this execution trained all "
                f"{epochs_done} {_plural(epochs_done, 'epoch')} on {device}: {num(total, 0)} s of training "
                f"({spread}; the test evaluations after the epochs are not included). " + call +
                "the training and every evaluation.")
    if epochs_before >= epochs_done:
        return (f"**Reloaded, not computed.** The run was finished before (cached by an earlier execution, or shipped "
                f"with synq_nb), so this execution "
                f"trained and evaluated nothing: in {num(call_seconds, 1)} s it reloaded the student, its history and "
                f"the accuracies recorded when it was computed. The training was measured then: {epochs_done} "
                f"{_plural(epochs_done, 'epoch')} in {num(total, 0)} s ({spread}; the test evaluations are not "
                "included); the summary line gives both, the reload's seconds and the fine-tuning's.")
    before, now = sum(secs[:epochs_before]), sum(secs[epochs_before:epochs_done])
    return (f"**Resumed.** The checkpoint held {epochs_before} {_plural(epochs_before, 'epoch')}, trained in an "
            f"earlier execution in {num(before, 0)} s; this execution trained epochs {epochs_before + 1} to "
            f"{epochs_done} on {device} in {num(now, 0)} s. The whole run's training took {num(total, 0)} s "
            f"({spread}; the test evaluations are not included). " + call +
            "the epochs trained now and their evaluations.")


# ------------------------------------------------------------------ the curves
def _loss_part(ep, loss, lr, iter_loss) -> str:
    n = len(ep)
    if n < 2:
        return f"- **Loss.** One epoch (epoch {ep[0]}, mean loss {num(loss[0], 4)}): no curve to read."
    l0, l1 = loss[0], loss[-1]
    steps = [loss[i + 1] - loss[i] for i in range(n - 1)]
    if l1 < l0:
        text = (f"- **Loss.** The epoch mean of the loss fell from {num(l0, 4)} (epoch {ep[0]}) to {num(l1, 4)} "
                f"(epoch {ep[-1]}), by {_pct((l0 - l1) / l0)}.")
        k = min(range(n - 1), key=lambda i: steps[i])
        if n == 2:
            pass
        elif k == 0:
            text += (f" It fell most between epochs {ep[0]} and {ep[1]} ({signed(steps[0], 4)}, "
                     f"{_pct(steps[0] / (l1 - l0))} of the whole fall).")
        else:
            text += (f" Its largest fall was not at the start but between epochs {ep[k]} and {ep[k + 1]} "
                     f"({signed(steps[k], 4)}).")
        if n >= 4:
            mid = (n - 1) // 2
            first, second = loss[mid] - l0, l1 - loss[mid]
            text += (f" Epochs {ep[0]} to {ep[mid]} took {signed(first, 4)} and epochs {ep[mid]} to {ep[-1]} "
                     f"{signed(second, 4)}: "
                     + ("the fall slowed as the learning rate decayed." if abs(second) < abs(first) else
                        "the second half fell at least as much as the first, so the curve had not flattened."))
    else:
        text = (f"- **Loss.** The epoch mean of the loss rose from {num(l0, 4)} (epoch {ep[0]}) to {num(l1, 4)} "
                f"(epoch {ep[-1]}): training did not lower it, a warning sign (below).")
    rises = [i for i in range(n - 1) if steps[i] > 0]
    if not rises:
        return text + " It fell in every epoch."
    where = _list(f"{ep[i + 1]} ({signed(steps[i], 4)}, learning rate {lr[i + 1]:.2g})" for i in rises)
    text += f" It did not fall in every epoch: it rose at {_plural(len(rises), 'epoch')} {where}."
    m = len(iter_loss) // n if iter_loss else 0
    if m >= 2 and len(iter_loss) == m * n:
        def se(i):  # standard error of epoch i's mean, from the spread of its per-iteration losses
            return statistics.stdev(iter_loss[i * m:(i + 1) * m]) / math.sqrt(m)
        noise = {i: math.sqrt(se(i) ** 2 + se(i + 1) ** 2) for i in rises}
        big = [i for i in rises if steps[i] > 2 * noise[i]]
        if not big:
            text += (f" Each rise is smaller than twice the standard error of the difference of two epoch means "
                     f"(at most {num(2 * max(noise.values()), 4)}, from the spread of the {m} per-iteration losses "
                     f"of each epoch): the noise of the random batches, not a turn of the curve.")
        else:
            text += (f" The rise at {_plural(len(big), 'epoch')} {_list(ep[i + 1] for i in big)} is larger than twice the "
                     f"standard error of the difference of two epoch means ({num(2 * noise[big[0]], 4)}, from the "
                     f"spread of the {m} per-iteration losses): a real rise, not the noise of the random batches.")
    return text


def _spike_part(iter_loss, ep) -> str:
    n = len(iter_loss)
    if n < 2 * NEIGHBOURS + 1:
        return ""
    ratios = []
    for i, v in enumerate(iter_loss):
        around = iter_loss[max(0, i - NEIGHBOURS):i] + iter_loss[i + 1:i + 1 + NEIGHBOURS]
        ratios.append(v / statistics.median(around))
    i = max(range(n), key=lambda j: ratios[j])
    epoch = ep[min(len(ep) - 1, i * len(ep) // n)]
    if ratios[i] <= SPIKE:
        return (f"- **Per-iteration loss** (grey). No spike: no iteration exceeded {SPIKE:g}× the median of the "
                f"{2 * NEIGHBOURS} iterations around it (the largest ratio, {ratios[i]:.2f}, at iteration {i + 1}, "
                f"epoch {epoch}).")
    return (f"- **Per-iteration loss** (grey). A spike: iteration {i + 1} (epoch {epoch}) reached "
            f"{num(iter_loss[i], 4)}, {ratios[i]:.1f}× the median of the {2 * NEIGHBOURS} iterations around it.")


def _binomial_sd(acc: float, n: int) -> float:
    """Sampling standard deviation (points) of an accuracy of ``acc`` % measured on ``n`` images."""
    p = min(max(acc, 0.0), 100.0) / 100
    return 100 * math.sqrt(p * (1 - p) / n)


def _shape(a1: float, a_last: float, sd: float) -> str:
    d = a_last - a1
    return "rose" if d >= NOISE_SD * sd else "fell" if d <= -NOISE_SD * sd else "flat"


def curves(history: dict, rtn: float, fp: float, n_test: int, iter_loss=None, n_synthetic: int = 0,
           samples_drawn: int = 0) -> str:
    """The loss and accuracy curves of a run: how much the loss fell and whether in every epoch (rises named, and
    compared with the batch noise when ``iter_loss`` is given), which epochs were evaluated, how far the accuracy
    moved after the first evaluated epoch against the gap still left to full precision, the two set against
    each other, the CE share and the per-iteration spikes."""
    ep = list(history["epoch"])
    loss = [float(v) for v in history["loss"]]
    lr = [float(v) for v in history.get("lr", [math.nan] * len(ep))]
    iter_loss = [float(v) for v in iter_loss] if iter_loss else None
    parts = [_loss_part(ep, loss, lr, iter_loss)]
    ev = [(e, float(a)) for e, a in zip(ep, history["top1"]) if a is not None]
    reuse = samples_drawn / n_synthetic if n_synthetic else 0.0
    i1 = j = None
    if not ev:
        parts.append("- **Accuracy.** No epoch was evaluated on the test set: there is no accuracy curve.")
        return "\n".join(parts)
    which = ("after every epoch" if len(ev) == len(ep) else
             f"after {_plural(len(ev), 'epoch')} {_list(e for e, _ in ev)} only (the others were not evaluated)")
    e_last, a_last = ev[-1]
    end = (f"It ended at {num(a_last)} % (epoch {e_last}), {signed(a_last - rtn)} points from RTN ({num(rtn)} %): "
           + ("above the red line" if a_last > rtn else
              "below the red line, so fine-tuning made the student worse, a warning sign (below)")
           + (f", and {num(fp - a_last)} points below full precision ({num(fp)} %)." if a_last < fp else
              f", at or above full precision ({num(fp)} %)."))
    acc = f"- **Accuracy.** The test accuracy was measured {which}. {end}"
    if len(ev) == 1:
        parts.append(acc + " With one evaluated epoch the accuracy curve is a single point: its shape cannot be read.")
    else:
        e1, a1 = ev[0]
        later = [a for _, a in ev[1:]]
        gap = fp - rtn
        if gap > 0:
            acc += (f" After epoch {e1} it was at {num(a1)} %, {signed(a1 - rtn)} points from RTN: "
                    f"{_pct((a1 - rtn) / gap)} of the {num(gap)}-point gap between RTN and full precision.")
        else:
            acc += f" After epoch {e1} it was at {num(a1)} %."
        if len(ev) == 2:
            acc += f" At epoch {e_last} it was {signed(a_last - a1)} points from epoch {e1}"
        else:
            acc += (f" Over epochs {ev[1][0]} to {e_last} it stayed between {num(min(later))} and {num(max(later))} % "
                    f"and ended {signed(a_last - a1)} points from epoch {e1}")
        remaining = fp - a1
        sd = _binomial_sd(a_last, n_test)
        if remaining <= 0:
            shape = "above"
            acc += f"; after epoch {e1} it was already at or above full precision."
        else:
            f = (a_last - a1) / remaining
            acc += f", {_pct(f)} of the {num(remaining)} points that were still left to full precision."
            shape = _shape(a1, a_last, sd)
            if shape == "rose":
                acc += f" **The curve rose towards the full-precision line after epoch {e1}.**"
            elif shape == "fell":
                acc += f" **The curve fell back after epoch {e1}: the later epochs lost accuracy.**"
            else:
                acc += (f" **The curve is flat after epoch {e1}: it did not approach the full-precision line** (it "
                        f"moved by {num(abs(a_last - a1))} points, less than {NOISE_SD:g} sampling standard deviations "
                        f"of one test accuracy, {NOISE_SD:g} × {sd:.2f} = {NOISE_SD * sd:.2f} points).")
                if rtn < a1 <= a_last:
                    acc += f" {_pct((a1 - rtn) / (a_last - rtn))} of the final gain over RTN was there after epoch {e1}."
        acc += (f" For scale: one accuracy measured on {n_test:,} test images has a sampling standard deviation of "
                f"{sd:.2f} points, $\\sqrt{{p(1-p)/n}}$ (Exercise 4).")
        parts.append(acc)
        i1 = ep.index(e1)  # two evaluated epochs: there is at least one epoch after e1
    if ev and len(ev) > 1 and i1 is not None:
        # the epoch-e1 loss is a mean over the epoch that starts from RTN, while the epoch-e1 accuracy is measured
        # at its end: the loss comparable with that accuracy is the next epoch's mean
        j = i1 + 1
        if j == len(ep) - 1:
            parts.append(f"- **Loss against accuracy.** The epoch-{ep[i1]} loss is a mean over an epoch that starts from "
                         f"RTN, while the epoch-{e1} accuracy is measured at its end; only one epoch follows epoch "
                         f"{e1}, so there is no later fall of the loss to set against the accuracy.")
            j = None
    if ev and len(ev) > 1 and j is not None:
        lrel = (loss[-1] - loss[j]) / loss[j]
        head = (f"- **Loss against accuracy** (one seed). The epoch-{ep[i1]} loss is a mean over an epoch that starts "
                f"from RTN, while the epoch-{e1} accuracy is measured at its end, so the loss to set against the "
                f"accuracy after epoch {e1} is the next epoch's: from epoch {ep[j]} ({num(loss[j], 4)}) to epoch "
                f"{ep[-1]} ({num(loss[-1], 4)}) the loss {'fell' if lrel < 0 else 'rose'} by {_pct(abs(lrel))}, while "
                f"the accuracy moved by {signed(a_last - a1)} points from epoch {e1} to epoch {e_last}.")
        if lrel <= -LOSS_FELL and shape == "flat":
            parts.append(head + " The loss measures how well the student matches the teacher (and the assigned "
                         "labels) on the filtered synthetic training images; the accuracy measures real test images. "
                         f"In this run the later epochs lowered the training loss without a change of test accuracy "
                         f"larger than the test-set noise. "
                         + (f"One reason to keep in mind: the {n_synthetic:,} synthetic images are drawn about "
                            f"{reuse:.0f} times each over the run, so a " if reuse else "One reason to keep in mind: a ")
                         + "falling training loss may be the student fitting the synthetic set rather than imitating "
                         "the teacher better. A lower training loss is not a better student on real images, which is "
                         "why the course reports test accuracy, not the loss; one seed shows it here, not a rule.")
        elif lrel <= -LOSS_FELL and shape == "rose":
            parts.append(head + " Loss and accuracy moved together: imitating the teacher better on the synthetic "
                         "images carried over to the real ones.")
        elif lrel <= -LOSS_FELL and shape == "fell":
            parts.append(head + " The student fitted the synthetic images better and the real images worse: a sign "
                         "of over-fitting the synthetic set.")
        elif lrel <= -LOSS_FELL:
            parts.append(head)
        else:
            parts.append(head + f" The loss did not fall by {_pct(LOSS_FELL)} or more after epoch {ep[j]}: the later "
                         "epochs hardly trained the student further.")
    hf = [100 * float(v) for v in history.get("hard_frac", [])]
    if hf:
        lo, hi = min(hf), max(hf)
        parts.append(f"- **CE share.** The share of samples that received the cross-entropy stayed between "
                     f"{lo:.1f} and {hi:.1f} % over the epochs: "
                     + ("about constant." if hi - lo <= CONSTANT_SHARE else
                        f"it changed by {hi - lo:.1f} points, more than the augmentation alone would explain."))
    if iter_loss:
        spike = _spike_part(iter_loss, ep)
        if spike:
            parts.append(spike)
    return "\n".join(parts)


def curve_shape(history: dict, fp: float, n_test: int = 10000) -> str:
    """The accuracy curve's verdict of :func:`curves`: ``'rose'``, ``'flat'``, ``'fell'``, ``'above'`` (already at
    full precision), or ``'one point'`` / ``'none'`` (fewer than two evaluated epochs); for the checks cell."""
    ev = [float(a) for a in history["top1"] if a is not None]
    if not ev:
        return "none"
    if len(ev) == 1:
        return "one point"
    if fp - ev[0] <= 0:
        return "above"
    return _shape(ev[0], ev[-1], _binomial_sd(ev[-1], n_test))


# ------------------------------------------------------------------ the weighted terms
def loss_terms(contrib: dict, epochs, lambda_ce: float, lambda_cam: float) -> str:
    """The weighted terms of Eq. 6 over the epochs (``contrib``: ``plotting.loss_contributions``): the last
    epoch's split, whether KD was the largest term in every epoch, how much each term changed, and what happened
    to the CAM term's value against its share."""
    ep = list(epochs)
    c = {k: [float(v) for v in contrib[k]] for k in ("kd", "ce", "cam", "total")}
    names = {"kd": "KD", "ce": f"{lambda_ce:g} × CE", "cam": f"{lambda_cam:g} × CAM"}
    share = {k: [a / t for a, t in zip(c[k], c["total"])] for k in names}
    text = (f"In the last epoch ({ep[-1]}) the loss of {num(c['total'][-1], 4)} was "
            + ", ".join(f"{names[k]} {num(c[k][-1], 4)} ({_pct(share[k][-1])})" for k in names) + ".")
    largest = [max(names, key=lambda k: c[k][i]) for i in range(len(ep))]
    if all(k == "kd" for k in largest):
        text += (f" Distillation was the largest term in every epoch ({_pct(min(share['kd']))} to "
                 f"{_pct(max(share['kd']))} of the loss).")
    elif largest[-1] == "kd":
        other = [ep[i] for i, k in enumerate(largest) if k != "kd"]
        text += f" Distillation was the largest term in the last epoch, but not in {_plural(len(other), 'epoch')} {_list(other)}."
    else:
        text += f" In the last epoch the largest term was {names[largest[-1]]}, not distillation."
    if len(ep) < 2:
        return text
    rel = {k: (c[k][-1] - c[k][0]) / c[k][0] if c[k][0] else math.nan for k in names}
    text += (f" From epoch {ep[0]} to {ep[-1]} " + ", ".join(
        f"{names[k]} {'fell' if rel[k] < 0 else 'rose'} by {_pct(abs(rel[k]))}" for k in names) + ".")
    cam0, cam1 = c["cam"][0] / lambda_cam if lambda_cam else 0.0, c["cam"][-1] / lambda_cam if lambda_cam else 0.0
    s0, s1 = share["cam"][0], share["cam"][-1]
    if not lambda_cam or not c["cam"][0]:
        return text
    if rel["cam"] < 0 and s1 > s0:
        text += (f" The CAM term fell (raw {num(cam0, 5)} to {num(cam1, 5)}: on the training images the student's maps "
                 f"came closer to the teacher's) and yet its share rose from {_pct(s0)} to {_pct(s1)}, because the other terms fell "
                 f"faster: a growing share is not a growing term.")
    elif rel["cam"] < 0:
        text += (f" The CAM term fell (raw {num(cam0, 5)} to {num(cam1, 5)}: on the training images the student's maps "
                 f"came closer to the teacher's), faster than the total, so its share fell from {_pct(s0)} to {_pct(s1)}.")
    else:
        text += (f" The CAM term rose (raw {num(cam0, 5)} to {num(cam1, 5)}): the student's maps moved away from the "
                 f"teacher's while training went on, a warning sign (one term growing while the loss falls).")
    return text


# ------------------------------------------------------------------ RTN against fine-tuned; final against best
def rtn_vs_finetuned(fp: float, rtn: float, final: float, seed: int | None = None, committed_final: dict | None = None,
                     committed_rtn: dict | None = None, baseline_rtn: dict | None = None, source: str = "") -> str:
    """This run's gain over RTN and gap to full precision, and, where committed runs at the same settings exist
    (``{seed: top-1}``: SynQ's final and RTN, and the baseline's RTN, calibrated on unfiltered images), the gain
    over seeds with its paired t interval and the share of the RTN bar that the filtered calibration explains."""
    gain = final - rtn
    lines = []
    if gain > 0:
        text = (f"This run: fine-tuning took the student from {num(rtn)} % (RTN) to {num(final)} % (final epoch), "
                f"{signed(gain)} points")
    else:
        text = (f"This run: fine-tuning took the student from {num(rtn)} % (RTN) to {num(final)} % (final epoch), "
                f"{signed(gain)} points: it made the student worse than rounding alone")
    if fp > rtn:
        text += (f"; {num(fp - final)} points to full precision ({num(fp)} %) remain, so it recovered "
                 f"{_pct(gain / (fp - rtn))} of the {num(fp - rtn)}-point gap between RTN and full precision.")
    else:
        text += "."
    lines.append(text)
    if committed_final and committed_rtn:
        seeds = sorted(set(committed_final) & set(committed_rtn))
        line = (f"The committed runs at these settings ({source}): "
                + paired_sentence(committed_final, committed_rtn, what="the gain of the final epoch over RTN") + ".")
        vals = [committed_final[s] for s in seeds]
        if seed is not None and seed in committed_final:
            d = final - committed_final[seed]
            others = [s for s in sorted(committed_final) if s != seed]
            line += (f" This execution is the committed seed-{seed} run again, at the same settings, so it is not an "
                     f"independent check: its final {num(final)} % "
                     + ("reproduces the committed run exactly" if abs(d) < 0.005 else
                        f"reproduces the committed run's {num(committed_final[seed])} % only to within "
                        f"{num(abs(d))} points ({signed(d)})")
                     + (f"; the other committed seeds ended at "
                        f"{_list(f'{num(committed_final[s])} % (seed {s})' for s in others)}" if others else ""))
        else:
            where = ("within" if min(vals) <= final <= max(vals) else "above" if final > max(vals) else "below")
            line += f" This execution's {num(final)} % is {where} their range of final accuracies ({num(min(vals))} to {num(max(vals))} %)"
        lines.append(line + ".")
        if baseline_rtn:
            p = paired(committed_rtn, baseline_rtn)
            line = ("The RTN bar here is calibrated on low-pass filtered images (Idea 1), the baseline's on unfiltered "
                    "ones, and nothing else differs between the two RTN students: "
                    + paired_sentence(committed_rtn, baseline_rtn, what="filtered calibration against unfiltered") + ".")
            if interval_verdict(p) == "gain":
                line += (" So part of the filter's benefit is already in the RTN bar, and the gain of fine-tuning "
                         "printed above does not include it.")
            else:
                line += " These seeds do not show that the filtered calibration helps RTN."
            lines.append(line)
    return "\n\n".join(lines)


def final_vs_best(history: dict, final: float, best: float, committed_final: dict | None = None,
                  committed_best: dict | None = None, committed_epochs=None, source: str = "") -> str:
    """The final epoch against the best evaluated one, in this run and (``{seed: top-1}``) in the committed runs at
    the same settings, which evaluated ``committed_epochs``."""
    ev = [(e, float(a)) for e, a in zip(history["epoch"], history["top1"]) if a is not None]
    e_final = ev[-1][0] if ev else history["epoch"][-1]
    e_best = next((e for e, a in ev if a == max(a for _, a in ev)), e_final) if ev else e_final
    k = len(ev)
    if best - final > 1e-9:
        text = (f"This run: final {num(final)} % (epoch {e_final}), best over the {k} evaluated "
                f"{_plural(k, 'epoch')} {num(best)} % (epoch {e_best}). Reporting the best would add "
                f"{signed(best - final)} points that the deployed student, the last epoch's, does not have.")
    else:
        text = (f"This run: the final epoch ({e_final}, {num(final)} %) was also the best of the {k} evaluated "
                f"{_plural(k, 'epoch')}, so here the two protocols give the same number; they need not.")
    if committed_final and committed_best:
        seeds = sorted(set(committed_final) & set(committed_best))
        diffs = [committed_best[s] - committed_final[s] for s in seeds]
        above = sum(d > 1e-9 for d in diffs)
        when = f", with {_plural(len(committed_epochs), 'epoch')} {_list(committed_epochs)} evaluated" if committed_epochs else ""
        text += (f" In the committed runs at these settings ({source}{when}), best minus final is "
                 f"{', '.join(signed(d) for d in diffs)} points on seeds {_list(seeds)} (mean "
                 f"{signed(statistics.fmean(diffs))}): the best epoch was not the last on {above} of {len(seeds)} "
                 f"{_plural(len(seeds), 'seed')}.")
    return text


# ------------------------------------------------------------------ Exercise 3
def gradient_norms(ours, official, loss_parts, names=("KD", "CE", "CAM")) -> str:
    """Exercise 3: the gradient norms of the three weighted terms (``ours``: plain KL; ``official``: the official
    code's KD scaling), each as (KD, CE, CAM), read against the first batch's weighted losses ``loss_parts``."""
    kd, ce, cam = ours
    lk, lc, lm = loss_parts
    text = (f"With the plain KL the KD gradient's norm is {ours[0]:.4g}: {kd / ce:.1f}× the {names[1]} term's "
            f"({ce:.4g}) and {kd / cam:.1f}× the {names[2]} term's ({cam:.4g}). The first batch's loss had KD at "
            f"{lk / lc:.1f}× {names[1]} and {lk / lm:.1f}× {names[2]}.")
    for name, g_ratio, l_ratio in ((names[1], kd / ce, lk / lc), (names[2], kd / cam, lk / lm)):
        more = g_ratio < l_ratio
        text += (f" {name} pushes the weights {'more' if more else 'less'} than its share of the loss suggests "
                 f"(gradient {g_ratio:.1f}× below KD's, loss {l_ratio:.1f}× below).")
    o1, o2 = official[0] / official[1], official[0] / official[2]
    if min(o1, o2) >= 10:
        text += (f" With the official scaling the KD gradient is {official[0]:.4g}, {o1:.0f}× {names[1]}'s and "
                 f"{o2:,.0f}× {names[2]}'s: next to it the other two terms would hardly act.")
    else:
        text += (f" With the official scaling the KD gradient is {official[0]:.4g}, only {min(o1, o2):.1f}× the "
                 f"smaller of the other two: they would still act.")
    return text


def codes_over_run(run_changed: int, step_changed: int, weights: int, steps: int) -> str:
    """How many 4-bit codes differ from the RTN student's after the whole run (``steps`` steps), against one step."""
    text = (f"After all {steps:,} steps, {run_changed:,} of {weights:,} weight codes ({100 * run_changed / weights:.1f} %) "
            f"differ from the RTN student's, against {step_changed:,} after one step")
    if run_changed >= 10 * max(step_changed, 1):
        return text + (f" ({run_changed / max(step_changed, 1):,.0f}× as many): the many small latent updates added up "
                       f"to code changes.")
    return text + ": hardly more than one step changed, so the latent updates did not add up to many code changes."
