"""Readings of notebook 03 (Grad-CAM alignment), generated from the values it computed: the gradient at the last
stage, how many channels make the map, the map of the least likely class, the fine-tuned run it loads, the maps on
the images shown, the CAM loss before and after fine-tuning, the maps of a wrong class, our ablation, the control
(a student trained without the CAM term: ``results/runs/confirm``), the floor's effect on the gradient
(Exercise 3) and the summary.

Every function takes values the notebook computed (or the committed run JSONs, ``synq_nb.results.load_runs()``)
and returns Markdown; where the reading depends on the outcome, the function picks the words
(``tests/test_readings_03.py`` checks each branch with made-up numbers on both sides of it).
"""
from __future__ import annotations

import math
import statistics

from ..results import by_seed, interval_verdict, lever_name, paired, t_interval
from . import num, paired_sentence, signed
from . import join_list as _list

# Thresholds of the verdicts (each is named in the reading it shapes)
UNIFORM = 1e-6      # a gradient whose spread over the positions of a channel is below this is uniform (float32 rounding)
DOMINANT = 0.5      # one channel that adds more than this share of the positive evidence "dominates" the map
SAME = 0.01         # a CAM loss that moved by at most this share of its earlier value is "unchanged"
STRONG = 10.0       # the floor's effect on the gradient is "orders of magnitude" from this ratio up
IDENTICAL = 1e-9    # two 'before fine-tuning' CAM losses this close come from the same RTN student
FULL = 0.99         # a normalised map whose peak reaches this is "full colour"
NOT_IN_CHECKOUT = "not in this checkout"
CONTROL = ("cpu", "cpu-cam-off")  # the confirm set's names: SynQ as published, and the same with the CAM term off
CONTROL_FILES = ("`results/runs/confirm/w3a3_cpu_s{3,4,5}.json` (SynQ as published, $\\lambda_{CAM}$ = 5) and "
                 "`results/runs/confirm/w3a3_cpu-cam-off_s{3,4,5}.json` (the same with the CAM term off)")


def _pct(x: float, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.4694`` -> ``'46.9 %'``."""
    return f"{100 * x:.{digits}f} %"




def moved(before: float, after: float, rel: float = SAME) -> str:
    """``'rose'``, ``'fell'`` or ``'unchanged'`` (moved by at most ``rel`` of ``before``)."""
    if abs(after - before) <= rel * abs(before):
        return "unchanged"
    return "rose" if after > before else "fell"


def _move_text(before: float, after: float, digits: int = 4) -> str:
    """``'fell from 0.0114 to 0.0095 (-16.7 %)'`` or ``'stayed within 1 % of 0.0114 (0.0115)'``."""
    word = moved(before, after)
    if word == "unchanged":
        return f"stayed within {_pct(SAME, 0)} of {num(before, digits)} ({num(after, digits)})"
    rel = (after - before) / before if before else float("nan")
    return f"{word} from {num(before, digits)} to {num(after, digits)} ({signed(100 * rel, 1)} %)"


# ------------------------------------------------------------------ section 2: Grad-CAM step by step
def gradient_spread(spread: float, layer: str) -> str:
    """``spread``: the largest (max - min) over the positions of one channel of dy^c/dA, over all channels."""
    if spread < UNIFORM:
        return (f"The largest spread printed is {spread:.1e}: at layer `{layer}` the gradient is the same at every "
                "position of every channel, up to float rounding. The *where* in this map comes from the feature "
                "maps alone; the next paragraph shows why.")
    return (f"The largest spread printed is {spread:.1e}: at layer `{layer}` the gradient differs from position to "
            "position within a channel, so this layer is not followed directly by the pooling head, and the average "
            "of step 3 averages genuinely different values. The derivation in the next paragraph holds only for the "
            "last stage of a pooling head.")


def channel_stats(contrib, k: int = 4) -> dict:
    """``contrib``: each channel's addition to the class evidence, alpha_k^c times the mean of A^k. Returns ``n``,
    ``n_pos``, ``top1`` and ``topk`` (shares of the positive total, 0-1), ``half`` (channels needed to reach half
    of it); the shares are nan when no channel is positive."""
    c = sorted((float(v) for v in contrib), reverse=True)
    pos = [v for v in c if v > 0]
    total = sum(pos)
    out = dict(n=len(c), n_pos=len(pos), top1=float("nan"), topk=float("nan"), half=0)
    if not pos:
        return out
    out["top1"], out["topk"] = pos[0] / total, sum(pos[:k]) / total
    run = 0.0
    for i, v in enumerate(pos, 1):
        run += v
        if run >= total / 2:
            out["half"] = i
            break
    return out


def channel_vote(contrib, k: int = 4) -> str:
    """How many channels make the map (the figure's row 1 shows the ``k`` that add most)."""
    s = channel_stats(contrib, k)
    head = (f"Here {s['n_pos']} of the {s['n']} channels add evidence for the class ($\\alpha_k^c$ times the channel's "
            f"mean activation is positive) and {s['n'] - s['n_pos']} subtract some.")
    if not s["n_pos"]:
        return head + " No channel adds evidence: the weighted sum is negative everywhere and the ReLU leaves an empty map."
    head += (f" The largest single channel adds {_pct(s['top1'])} of the positive evidence, the {k} channels of row 1 "
             f"together {_pct(s['topk'])}, and it takes {s['half']} channels to reach half of it.")
    if s["top1"] > DOMINANT:
        return head + (" One channel dominates: the final map is mostly that channel's map, with the others as "
                       "corrections.")
    return head + (" No single channel gives the final map: it is a vote of many channels, each weighted by how much "
                   "it matters for this class.")


# ------------------------------------------------------------------ section 3: a map for every class
def weak_class(label: str, low: str, max_label: float, max_low: float, pos_label: float, pos_low: float,
               norm_low: float, floor: float) -> str:
    """Raw (unnormalised) maps of the label and of the least likely class: their maxima and the share (0-1) of
    positions above zero; ``norm_low``: the peak of the least likely class's normalised map (floor ``floor``)."""
    out = [f"The raw map of the label '{label}' peaks at {num(max_label, 4)}, with {_pct(pos_label, 0)} of its "
           f"positions above zero; the map of the least likely class '{low}' peaks at {num(max_low, 4)}, with "
           f"{_pct(pos_low, 0)} above zero."]
    if max_low < max_label:
        ratio = f"{max_label / max_low:,.0f}x" if max_low > 0 else "infinitely"
        first = f"The evidence for the least likely class is weak: its peak is {ratio} smaller"
    else:
        first = "The evidence for the least likely class is not weaker at its peak than the label's"
    if pos_low < pos_label:
        out.append(first + f", and the ReLU has zeroed a larger share of its positions ({_pct(1 - pos_low, 0)} against "
                   f"{_pct(1 - pos_label, 0)}).")
    else:
        out.append(first + f", and the ReLU has not zeroed a larger share of its positions ({_pct(1 - pos_low, 0)} "
                   f"against {_pct(1 - pos_label, 0)}).")
    if norm_low >= FULL:
        out.append(f"In the overlay its normalised map still reaches full colour at its peak ({num(norm_low)}): its "
                   f"range is above the floor ({floor:g}), so normalisation stretches it to [0, 1] like the label's "
                   "and hides how weak it is.")
    else:
        out.append(f"In the overlay its normalised map peaks at {num(norm_low)}, not 1: its range is below the floor "
                   f"({floor:g}), so normalisation divides by the floor and the map keeps some of its weakness.")
    return " ".join(out)


# ------------------------------------------------------------------ section 4: the fine-tuned run
def fine_tuned_run(fp: float, rtn: float, final: float, epoch_seconds, total_s: float, loaded: bool,
                   device: str) -> str:
    """Test top-1 (%) of the teacher, the RTN student and the fine-tuned student's final epoch; ``epoch_seconds``:
    the run's per-epoch fine-tuning seconds (its history, kept in the checkpoint); ``total_s``: this execution's
    seconds for the run (the reload alone when ``loaded``); ``loaded``: the run folder held the finished run before
    this execution."""
    lost, back = fp - rtn, final - rtn
    out = [f"On the test set the teacher scores {num(fp)} %, the RTN student {num(rtn)} % and the fine-tuned student "
           f"{num(final)} % at its final epoch."]
    if lost <= 0:
        out.append("RTN lost no accuracy here, so fine-tuning had nothing to recover.")
    elif back > 0:
        out.append(f"Fine-tuning recovered {num(back)} of the {num(lost)} points that RTN lost ({_pct(back / lost, 0)}).")
    else:
        out.append(f"Fine-tuning did not recover any of the {num(lost)} points that RTN lost: the final epoch is "
                   f"{signed(back)} points from RTN.")
    n, secs = len(epoch_seconds), sum(epoch_seconds)
    if loaded:
        out.append(f"This execution reloaded the finished run (cached by an earlier execution, or shipped with synq_nb) "
                   f"in {num(total_s, 1)} s: its student and "
                   "the accuracies recorded when it was computed (nothing was trained or evaluated again). Its "
                   f"{n} epochs of fine-tuning took {num(secs, 0)} s then (the seconds each epoch recorded).")
    else:
        out.append(f"This execution trained it: {n} epochs of fine-tuning in {num(secs, 0)} s (measured per epoch; "
                   f"epochs a stopped earlier execution trained are included), {num(total_s, 0)} s for the whole run "
                   f"on {device}.")
    return " ".join(out)


def shown_images(losses: dict, rtn: str, tuned: str, n_loss: int) -> str:
    """``losses``: {kind of images: {student: CAM loss over the images shown}} (the figures' row labels)."""
    out = []
    for kind, v in losses.items():
        a, b = v[rtn], v[tuned]
        word = moved(a, b)
        rel = {"fell": "closer to the teacher's", "rose": "further from the teacher's",
               "unchanged": "as close to the teacher's"}[word]
        out.append(f"On the {kind} images shown, the RTN student's maps differ from the teacher's by {num(a, 4)} and "
                   f"the fine-tuned student's by {num(b, 4)}: the fine-tuned student's maps are {rel} "
                   f"{'(within ' + _pct(SAME, 0) + ')' if word == 'unchanged' else ''}".rstrip() + ".")
    out.append(f"A handful of images is an anecdote; section 6 measures the same over {n_loss} images of each kind.")
    return " ".join(out)


# ------------------------------------------------------------------ section 6: before and after fine-tuning
def before_after(cam_l: dict, m: int, rtn: str = "RTN", tuned: str = "SynQ fine-tuned") -> str:
    """``cam_l``: {student: {"real": mean CAM loss on m real test images, "synthetic": on m filtered synthetic}}."""
    r0, r1 = cam_l[rtn]["real"], cam_l[tuned]["real"]
    s0, s1 = cam_l[rtn]["synthetic"], cam_l[tuned]["synthetic"]
    out = [f"From the RTN student to the fine-tuned one, the CAM loss on the {m} filtered synthetic images (the kind "
           f"the student was fine-tuned on) {_move_text(s0, s1)}"]
    out[-1] += {"fell": ": on images like those it trained on, fine-tuning brought the student's maps closer to the "
                        "teacher's.",
                "rose": ": even on images like those it trained on, fine-tuning moved the student's maps away from "
                        "the teacher's; the CAM term did not win against the other terms of the loss here.",
                "unchanged": ": on images like those it trained on, fine-tuning left the maps as far from the "
                             "teacher's as RTN's."}[moved(s0, s1)]
    out.append(f"On the {m} real test images, which the student never saw, the CAM loss {_move_text(r0, r1)}")
    out[-1] += {"fell": ": the move toward the teacher's maps carried over to real images.",
                "rose": ": the alignment did not carry over; on real images the fine-tuned student looks less like "
                        "the teacher than the RTN student does.",
                "unchanged": ": no change carried over to real images."}[moved(r0, r1)]
    where = moved(r0, s0)
    if where == "unchanged":
        out.append(f"Before fine-tuning, the RTN student is about as far from the teacher on synthetic as on real "
                   f"images ({num(s0, 4)} against {num(r0, 4)}).")
    else:
        out.append(f"Before fine-tuning, the RTN student is {'further from' if where == 'rose' else 'closer to'} the "
                   f"teacher on synthetic than on real images ({num(s0, 4)} against {num(r0, 4)}).")
    out.append("This student was trained with the CAM term *and* with KD and CE (Eq. 6, notebook 05), so these "
               "numbers cannot say which term moved its maps: section 7 compares students trained with and without "
               "the CAM term.")
    return " ".join(out)


# ------------------------------------------------------------------ try it: a wrong class
def wrong_class(label_loss: dict, low_loss: dict, m: int) -> str:
    """{student: mean CAM loss over m real images} for each image's label and for the teacher's least likely
    class of each image."""
    parts = [f"the {s} student {num(low_loss[s], 4)} against {num(label_loss[s], 4)} ({low_loss[s] / label_loss[s]:.1f}x)"
             for s in label_loss]
    out = [f"Over {m} real test images, the CAM loss for the teacher's least likely class of each image against the "
           f"loss for its label: {'; '.join(parts)}."]
    larger = [s for s in label_loss if low_loss[s] > label_loss[s]]
    if len(larger) == len(label_loss):
        out.append("For every student the maps of a wrong class disagree more with the teacher's than the maps of the "
                   "label: weak evidence is made of small contributions, and small contributions are the ones a "
                   "rounding error can outweigh.")
    elif not larger:
        out.append("For no student do the maps of a wrong class disagree more with the teacher's than the maps of the "
                   "label: at these settings weak evidence is not harder to copy.")
    else:
        rest = [s for s in label_loss if s not in larger]
        out.append(f"The maps of a wrong class disagree more for the {_list(larger)} student but not for the "
                   f"{_list(rest)} student.")
    return " ".join(out)


# ------------------------------------------------------------------ section 4: our ablation (committed runs)
ABLATION = (((0, 1, 0), (0, 0, 0), "adding CAM alignment to the baseline (KD + CE)"),
            ((1, 1, 1), (1, 0, 1), "adding CAM alignment to filter + soft labels (SynQ against SynQ without it)"))


def ablation_pairs(runs) -> dict:
    """{description: :func:`paired` of test top-1} for the two CAM comparisons of the W3A3 ablation runs."""
    rows = by_seed(runs or [], 3, "final_top1")
    return {what: paired(rows[a], rows[b]) for a, b, what in ABLATION
            if rows.get(a) and rows.get(b) and set(rows[a]) & set(rows[b])}


def ablation_verdicts(runs) -> dict:
    """{description: "gain" / "loss" / "unresolved"} for :func:`ablation_pairs` (the 95 % t interval)."""
    return {w: interval_verdict(p) for w, p in ablation_pairs(runs).items()}


def ablation(runs) -> str:
    """Our W3A3 ablation's CAM comparisons (``runs``: the committed ``ablation`` set; None outside a source
    checkout)."""
    prs = ablation_pairs(runs)
    if not prs:
        return (f"Our ablation runs (`results/runs/ablation`) are {NOT_IN_CHECKOUT}: this notebook cannot say what "
                "CAM alignment did to accuracy in our benchmarks.")
    rows = by_seed(runs, 3, "final_top1")
    out = ["In our ablation (`results/runs/ablation`: CIFAR-10, ResNet-20, W3A3, `cpu` preset, test top-1 of the "
           "final epoch, paired by seed):"]
    for a, b, what in ABLATION:
        if what in prs:
            out.append(paired_sentence(rows[a], rows[b], what=what[0].upper() + what[1:]) + ".")
    verdicts = ablation_verdicts(runs)
    if all(v == "unresolved" for v in verdicts.values()):
        out.append("No interval excludes zero: the seeds we have leave the size, and even the sign, of CAM "
                   "alignment's effect on accuracy open. Section 7 adds fresh seeds for the second comparison.")
    else:
        ups = [w for w, v in verdicts.items() if v == "gain"]
        downs = [w for w, v in verdicts.items() if v == "loss"]
        if ups:
            out.append(f"The interval lies above zero for {_list(ups)}: CAM alignment raised accuracy there.")
        if downs:
            out.append(f"The interval lies below zero for {_list(downs)}: CAM alignment cost accuracy there.")
    return " ".join(out)


# ------------------------------------------------------------------ section 7: the control (committed runs)
def control_runs(runs) -> dict:
    """{"on": {seed: run}, "off": {seed: run}} from the ``confirm`` set: W3A3 runs named ``cpu`` (SynQ as published)
    and ``cpu-cam-off`` (the CAM term off), over the seeds both have with the real-image CAM losses recorded."""
    by = {"on": {}, "off": {}}
    for r in runs or []:
        name = lever_name(r)
        if r.get("w_bits") != 3 or name not in CONTROL:
            continue
        cam_on = bool(r.get("config", {}).get("use_cam", name == "cpu") and r.get("config", {}).get("lambda_cam", 1))
        if cam_on != (name == "cpu"):
            raise ValueError(f"{r.get('run_name')}: its name and its config disagree on whether the CAM term is on")
        by["on" if name == "cpu" else "off"][r["seed"]] = r
    keys = ("val_rtn_cam_loss", "val_final_cam_loss", "final_top1")
    seeds = sorted(s for s in set(by["on"]) & set(by["off"])
                   if all(k in by[a][s] for a in ("on", "off") for k in keys))
    return {a: {s: by[a][s] for s in seeds} for a in ("on", "off")}


def control_table(runs) -> list:
    """Rows (dicts of strings) for the control's table, one per run: setting, seed, CAM loss after RTN and after
    fine-tuning, its change, test and validation top-1."""
    c = control_runs(runs)
    rows = []
    for arm, label in (("on", "SynQ (λ_CAM = 5)"), ("off", "SynQ without the CAM term (λ_CAM = 0)")):
        for s, r in c[arm].items():
            b, a = r["val_rtn_cam_loss"], r["val_final_cam_loss"]
            rows.append({"student": label, "seed": str(s), "CAM loss after RTN": num(b, 4),
                         "CAM loss after fine-tuning": num(a, 4), "change": signed(a - b, 4),
                         "test top-1 (%)": num(r["final_top1"]),
                         "validation top-1 (%)": num(r["val_final_top1"]) if "val_final_top1" in r else "n/a"})
    return rows


def control_verdicts(runs) -> dict | None:
    """None without the control runs; else ``seeds``, ``cam`` and ``acc`` (:func:`synq_nb.results.interval_verdict`
    of with-minus-without: final real-image CAM loss, test top-1), ``cam_diffs``, ``acc_diffs``, ``on_moves`` and
    ``off_moves`` (rose / fell / unchanged per seed) and ``same_start`` (both arms of a seed share the RTN value)."""
    c = control_runs(runs)
    if not c["on"]:
        return None
    pc = paired(val_of(c, "on", "val_final_cam_loss"), val_of(c, "off", "val_final_cam_loss"))
    pa = paired(val_of(c, "on", "final_top1"), val_of(c, "off", "final_top1"))
    moves = lambda arm: [moved(r["val_rtn_cam_loss"], r["val_final_cam_loss"]) for r in c[arm].values()]  # noqa: E731
    same = all(abs(c["on"][s]["val_rtn_cam_loss"] - c["off"][s]["val_rtn_cam_loss"]) <= IDENTICAL for s in c["on"])
    return dict(seeds=pc["seeds"], cam=interval_verdict(pc), acc=interval_verdict(pa), cam_diffs=pc["diffs"],
                acc_diffs=pa["diffs"], on_moves=moves("on"), off_moves=moves("off"), same_start=same)


def _moves_text(moves, seeds) -> str:
    if all(w == moves[0] for w in moves):
        word = {"fell": "fell", "rose": "rose", "unchanged": "stayed within " + _pct(SAME, 0)}[moves[0]]
        return f"{word} on {'both seeds' if len(seeds) == 2 else 'every seed' if len(seeds) > 2 else 'seed ' + str(seeds[0])}"
    return "; ".join(f"{w} on seed {s}" for w, s in zip(moves, seeds))


def control(runs) -> str:
    """The reading of the control: per seed, the real-image CAM loss before and after fine-tuning with and without
    the CAM term; the paired difference (with minus without) and its 95 % t interval; the accuracy difference.
    ``runs``: the committed ``confirm`` set (None or [] when the runs are not in this checkout)."""
    c = control_runs(runs)
    if not c["on"]:
        return (f"**The control runs are {NOT_IN_CHECKOUT}.** This section reads {CONTROL_FILES}, paired by seed, "
                "and none of those pairs is here with its CAM losses. Until they are, this notebook cannot say what "
                "the CAM term itself does to the CAM loss on real images: the fall or rise of section 6 belongs to "
                "the whole objective (KD, CE and CAM together).")
    v = control_verdicts(runs)
    seeds = v["seeds"]
    out = []
    for s in seeds:
        on, off = c["on"][s], c["off"][s]
        out.append(f"Seed {s}: with the CAM term the loss {_move_text(on['val_rtn_cam_loss'], on['val_final_cam_loss'])}; "
                   f"without it, {_move_text(off['val_rtn_cam_loss'], off['val_final_cam_loss'])}.")
    if v["same_start"]:
        out.append("Both students of a seed start from the same RTN student (the same calibration on the same "
                   "synthetic set: the 'after RTN' values are identical), so the difference after fine-tuning is the "
                   "difference fine-tuning made.")
    else:
        gap = max(abs(c["on"][s]["val_rtn_cam_loss"] - c["off"][s]["val_rtn_cam_loss"]) for s in seeds)
        out.append(f"The 'after RTN' values of a seed differ (by up to {num(gap, 4)}): the two students did not start "
                   "from the same RTN student, which makes the comparison less clean than intended.")
    mean = lambda arm: statistics.fmean(r["val_rtn_cam_loss"] - r["val_final_cam_loss"] for r in c[arm].values())  # noqa: E731
    drop_on, drop_off = mean("on"), mean("off")
    text = f"**Without the CAM term** the loss {_moves_text(v['off_moves'], seeds)}"
    if all(w == "fell" for w in v["off_moves"]):
        text += (f" (by {num(drop_off, 4)} on average): distillation and cross-entropy alone bring the student's "
                 "maps closer to the teacher's on real images, so a falling CAM loss is not by itself evidence that "
                 "the CAM term works.")
        if drop_on > 0:
            text += (f" With the term it fell by {num(drop_on, 4)} on average: the student without the term went "
                     f"{_pct(drop_off / drop_on, 0)} of that way.")
    elif all(w == "rose" for w in v["off_moves"]):
        text += (": distillation and cross-entropy alone move the student's maps away from the teacher's on real "
                 "images, and the CAM term is what would hold them in place.")
    else:
        text += ": distillation and cross-entropy alone do not move the maps the same way on every seed."
    out.append(text)
    what = "**The CAM term itself** (CAM loss after fine-tuning, with the term minus without)"
    out.append(paired_sentence(val_of(c, "on", "val_final_cam_loss"), val_of(c, "off", "val_final_cam_loss"),
                               what=what, unit="", digits=4) + ".")
    lower = sum(d < 0 for d in v["cam_diffs"])
    if v["cam"] == "loss":
        out.append("The CAM term lowers the real-image CAM loss beyond what distillation and cross-entropy do: the "
                   "alignment learned on synthetic images carries over to real ones.")
    elif v["cam"] == "gain":
        out.append("The CAM term leaves the student's maps further from the teacher's on real images than "
                   "distillation and cross-entropy alone: the alignment learned on synthetic images does not carry "
                   "over at these settings.")
    elif len(seeds) == 1:
        out.append("One seed gives no interval: this is what one pair of runs shows, not an effect.")
    else:
        out.append(f"The loss ends lower with the term on {lower} of {len(seeds)} seeds; whether the CAM term itself "
                   "lowers the CAM loss on real images stays open.")
    if len(seeds) == 2:
        out.append(f"Only two seeds ({_list(seeds)}) are paired: with one degree of freedom the t factor is 12.71, "
                   "so the interval is wide and only a large, consistent effect can exclude zero.")
    acc = paired_sentence(val_of(c, "on", "final_top1"), val_of(c, "off", "final_top1"),
                          what="**Accuracy** (test top-1, with the term minus without)")
    out.append(acc + {"gain": "; the CAM term raises accuracy at this budget.",
                      "loss": "; the CAM term costs accuracy at this budget.",
                      "unresolved": "."}[v["acc"]])
    out.append("These are W3A3 students of the `cpu` preset on fresh seeds, with the CAM loss measured on 512 "
               "validation images: CIFAR-10 training images that the teacher was trained on (it scores about 100 % "
               "there), so the carry-over is to real images the teacher fits, not to unseen ones. Equal steps are not "
               "quite equal compute: the CAM term costs about 1.05x the CPU seconds (RESULTS.md section 8). The W4A4 seed-0 student of sections 4-6 has no twin trained without the term, "
               "so it is not the control.")
    return " ".join(out)


def val_of(c: dict, arm: str, key: str) -> dict:
    """{seed: run[key]} for one arm of :func:`control_runs`."""
    return {s: r[key] for s, r in c[arm].items()}


# ------------------------------------------------------------------ exercise 3: the floor
def floor_gradient(results: dict, floor: float) -> str:
    """``results``: {floor value: (raw map range, CAM loss, gradient norm w.r.t. A)} for 0 and ``floor``."""
    rng, _, g0 = results[0.0]
    g = results[floor][2]
    r = g0 / g
    out = [f"The raw map's range is {rng:.1e}, "
           + (f"below the floor {floor:g}, so the floor changes the division." if rng < floor else
              f"not below the floor {floor:g}: the floor does not change the division here.")]
    if r >= STRONG:
        out.append(f"Without the floor the gradient is {r:,.0f} times larger, {math.log10(r):.1f} orders of magnitude, "
                   "for a map whose content is nothing but noise.")
    elif r > 1:
        out.append(f"Without the floor the gradient is {r:.1f} times larger: more, but less than tenfold.")
    else:
        out.append(f"Without the floor the gradient is not larger ({r:.2f} times the floored one).")
    return " ".join(out)


# ------------------------------------------------------------------ summary
def summary(cam_l: dict, m: int, w_bits: int, a_bits: int, confirm_runs, floor_ratio: float | None,
            rtn: str = "RTN", tuned: str = "SynQ fine-tuned") -> str:
    """This run's findings in a few bullets: the CAM loss before and after fine-tuning, the control, the floor."""
    out = [f"- **This run** (W{w_bits}A{a_bits}, {m} images of each kind): from RTN to the fine-tuned student, the "
           f"CAM loss {_move_text(cam_l[rtn]['synthetic'], cam_l[tuned]['synthetic'])} on filtered synthetic images "
           f"and {_move_text(cam_l[rtn]['real'], cam_l[tuned]['real'])} on real test images."]
    v = control_verdicts(confirm_runs)
    if v is None:
        out.append(f"- **The control** (a student trained without the CAM term) is {NOT_IN_CHECKOUT}: what the CAM "
                   "term itself does is not measured here.")
    else:
        p = paired(val_of(control_runs(confirm_runs), "on", "val_final_cam_loss"),
                   val_of(control_runs(confirm_runs), "off", "val_final_cam_loss"))
        if len(p["diffs"]) > 1:
            lo, hi = t_interval(p["diffs"])
            interval = f"95 % t interval [{signed(lo, 4)}, {signed(hi, 4)}]"
            verdict = {"loss": "the term lowers it", "gain": "the term raises it",
                       "unresolved": "not resolved by these seeds"}[v["cam"]]
            acc = {"gain": "interval above zero", "loss": "interval below zero",
                   "unresolved": "interval contains zero"}[v["acc"]]
        else:
            interval, verdict, acc = "one seed, no interval", "no claim beyond this pair of runs", "one seed"
        out.append(f"- **The control** (W3A3, seeds {_list(v['seeds'])}): without the CAM term the real-image CAM loss "
                   f"{_moves_text(v['off_moves'], v['seeds'])}; the term's own effect, with minus without, is "
                   f"{signed(p['mean'], 4)} ({interval}): {verdict}. Accuracy, with minus without: "
                   f"{signed(statistics.fmean(v['acc_diffs']))} points ({acc}).")
    if floor_ratio is None:  # the student edition: Exercise 3's solution, which measures it, was removed
        return "\n".join(out + ["- **The floor**: Exercise 3 measures what it does to a nearly flat map."])
    out.append(f"- **The floor** (Exercise 3): on a nearly flat map the gradient without the floor is "
               f"{floor_ratio:,.0f} times the floored one." if floor_ratio >= 1 else
               f"- **The floor** (Exercise 3): on this map the gradient without the floor is not larger "
               f"({floor_ratio:.2f} times the floored one).")
    return "\n".join(out)
