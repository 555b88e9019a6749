"""The generated readings of notebook 03 (synq_nb.readings.lesson03): every branch, with made-up numbers on both
sides of it. Fast: no model, no data."""
from __future__ import annotations

import pytest

from synq_nb.readings import lesson03 as L

RTN, TUNED = "RTN", "SynQ fine-tuned"


# ------------------------------------------------------------------ made-up inputs
def _cam(real0, real1, syn0, syn1):
    return {RTN: {"real": real0, "synthetic": syn0}, TUNED: {"real": real1, "synthetic": syn1}}


def _crun(name, seed, before, after, top1, val_top1=None, w_bits=3, use_cam=None, **extra):
    """A run of the confirm set: ``name`` "cpu" (CAM on) or "cpu-cam-off"."""
    use_cam = (name == "cpu") if use_cam is None else use_cam
    r = dict(run_name=f"w{w_bits}a{w_bits}_{name}_s{seed}", set="confirm", w_bits=w_bits, a_bits=w_bits, seed=seed,
             final_top1=top1, val_rtn_cam_loss=before, val_final_cam_loss=after,
             config=dict(use_cam=use_cam, lambda_cam=5.0))
    if val_top1 is not None:
        r["val_final_top1"] = val_top1
    r.update(extra)
    return r


def _control(on: dict, off: dict, before=0.0450, acc_on=None, acc_off=None):
    """on / off: {seed: CAM loss after fine-tuning}; accuracies default to a tie."""
    acc_on = acc_on or {s: 70.0 for s in on}
    acc_off = acc_off or {s: 70.0 for s in off}
    return ([_crun("cpu", s, before, v, acc_on[s], val_top1=75.0) for s, v in on.items()]
            + [_crun("cpu-cam-off", s, before, v, acc_off[s], val_top1=74.0) for s, v in off.items()])


def _abl(combo, seed, top1):
    f, c, s = combo
    return dict(run_name=f"w3a3_x_s{seed}", w_bits=3, a_bits=3, seed=seed, final_top1=top1,
                config=dict(use_filter=bool(f), use_cam=bool(c), use_soft_labels=bool(s)))


def _ablation(cam_alone, synq):
    """cam_alone / synq: {seed: (with, without)} for (0,1,0) vs (0,0,0) and (1,1,1) vs (1,0,1)."""
    runs = []
    for seed, (a, b) in cam_alone.items():
        runs += [_abl((0, 1, 0), seed, a), _abl((0, 0, 0), seed, b)]
    for seed, (a, b) in synq.items():
        runs += [_abl((1, 1, 1), seed, a), _abl((1, 0, 1), seed, b)]
    return runs


# ------------------------------------------------------------------ rose / fell / unchanged
def test_moved_three_ways():
    assert L.moved(0.0114, 0.0095) == "fell"
    assert L.moved(0.0140, 0.0205) == "rose"
    assert L.moved(0.0100, 0.01005) == "unchanged"      # 0.5 % < 1 %
    assert L.moved(0.0100, 0.0102) == "rose"           # 2 % > 1 %


# ------------------------------------------------------------------ section 2
def test_gradient_spread_uniform():
    text = L.gradient_spread(0.0, "layer3")
    assert "0.0e+00" in text and "`layer3`" in text and "the same at every position" in text
    assert "differs" not in text


def test_gradient_spread_not_uniform():
    text = L.gradient_spread(3.2e-3, "layer2")
    assert "3.2e-03" in text and "differs from position to position" in text and "holds only" in text


def test_channel_vote_many_channels():
    contrib = [0.10, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, -0.02, -0.05]
    s = L.channel_stats(contrib, 4)
    assert s["n"] == 10 and s["n_pos"] == 8 and s["top1"] == pytest.approx(0.10 / 0.52)
    assert s["half"] == 3  # 0.10 + 0.09 + 0.08 = 0.27 reaches half of 0.52
    text = L.channel_vote(contrib, 4)
    assert "8 of the 10 channels" in text and "2 subtract" in text and "19.2 %" in text
    assert "it is a vote of many channels" in text and "dominates" not in text


def test_channel_vote_one_channel_dominates():
    text = L.channel_vote([0.9, 0.05, 0.05, -0.1], 2)
    assert "90.0 %" in text and "the 2 channels of row 1 together 95.0 %" in text
    assert "One channel dominates" in text and "vote" not in text


def test_channel_vote_no_positive_channel():
    s = L.channel_stats([-0.1, -0.2])
    assert s["n_pos"] == 0 and s["half"] == 0
    text = L.channel_vote([-0.1, -0.2])
    assert "0 of the 2 channels" in text and "empty map" in text and "vote" not in text


# ------------------------------------------------------------------ section 3
def test_weak_class_weaker_zeroed_and_full_colour():
    text = L.weak_class("cat", "truck", 0.9587, 0.0620, 0.97, 0.08, 1.0, 0.05)
    assert "'cat' peaks at 0.9587" in text and "'truck' peaks at 0.0620" in text and "8 % above zero" in text
    assert "its peak is 15x smaller" in text and "has zeroed a larger share of its positions (92 % against 3 %)" in text
    assert "still reaches full colour" in text and "hides how weak" in text


def test_weak_class_not_weaker_not_zeroed_below_floor():
    text = L.weak_class("cat", "truck", 0.30, 0.40, 0.50, 0.60, 0.8, 0.05)
    assert "is not weaker at its peak" in text and "has not zeroed a larger share" in text
    assert "peaks at 0.80, not 1" in text and "below the floor (0.05)" in text and "full colour" not in text


def test_weak_class_zero_peak():
    assert "infinitely smaller" in L.weak_class("cat", "truck", 0.9, 0.0, 0.9, 0.0, 0.0, 0.05)


# ------------------------------------------------------------------ section 4: the run
def test_fine_tuned_run_recovered_and_loaded():
    text = L.fine_tuned_run(91.73, 86.33, 88.79, [49.0] * 10, 34.2, loaded=True, device="cpu")
    assert "91.73 %" in text and "86.33 %" in text and "88.79 %" in text
    assert "recovered 2.46 of the 5.40 points" in text and "(46 %)" in text
    assert "reloaded the finished run (cached by an earlier execution, or shipped with synq_nb) in 34.2 s" in text
    assert "10 epochs of fine-tuning took 490 s" in text
    assert "nothing was trained or evaluated again" in text and "trained it" not in text


def test_fine_tuned_run_not_recovered_and_computed():
    text = L.fine_tuned_run(91.73, 86.33, 85.90, [50.0, 60.0], 250.0, loaded=False, device="cpu (x86_64, 2 threads)")
    assert "did not recover any of the 5.40 points" in text and "-0.43 points from RTN" in text
    assert "This execution trained it: 2 epochs of fine-tuning in 110 s" in text and "250 s for the whole run" in text
    assert "loaded" not in text


def test_fine_tuned_run_nothing_lost():
    text = L.fine_tuned_run(91.0, 91.2, 91.1, [1.0], 5.0, loaded=True, device="cpu")
    assert "RTN lost no accuracy" in text and "recovered" not in text


def test_shown_images_closer_further_same():
    text = L.shown_images({"real": {RTN: 0.0175, TUNED: 0.0121}, "synthetic (filtered)": {RTN: 0.0133, TUNED: 0.0157},
                           "other": {RTN: 0.0100, TUNED: 0.01001}}, RTN, TUNED, 512)
    assert "On the real images shown, the RTN student's maps differ from the teacher's by 0.0175" in text
    assert "fine-tuned student's by 0.0121: the fine-tuned student's maps are closer to the teacher's." in text
    assert "by 0.0157: the fine-tuned student's maps are further from the teacher's." in text
    assert "as close to the teacher's (within 1 %)." in text and "over 512 images" in text


# ------------------------------------------------------------------ section 6: before and after
def test_before_after_both_fell():
    text = L.before_after(_cam(0.0114, 0.0095, 0.0236, 0.0156), 512)
    assert "512 filtered synthetic images" in text and "fell from 0.0236 to 0.0156 (-33.9 %)" in text
    assert "fine-tuning brought the student's maps closer" in text
    assert "the CAM loss fell from 0.0114 to 0.0095 (-16.7 %)" in text and "carried over to real images" in text
    assert "further from the teacher on synthetic than on real images (0.0236 against 0.0114)" in text
    assert "section 7" in text and "rose" not in text


def test_before_after_real_rose_synthetic_fell():
    text = L.before_after(_cam(0.0140, 0.0205, 0.0236, 0.0156), 512)
    assert "rose from 0.0140 to 0.0205 (+46.4 %)" in text and "did not carry over" in text
    assert "closer to the teacher's" in text


def test_before_after_synthetic_rose_and_rtn_closer_on_synthetic():
    text = L.before_after(_cam(0.0300, 0.0200, 0.0100, 0.0150), 128)
    assert "128 filtered synthetic images" in text and "rose from 0.0100 to 0.0150" in text
    assert "moved the student's maps away" in text
    assert "closer to the teacher on synthetic than on real images (0.0100 against 0.0300)" in text


def test_before_after_unchanged_and_level():
    text = L.before_after(_cam(0.0100, 0.01002, 0.01001, 0.01003), 512)
    assert text.count("stayed within 1 % of") == 2 and "left the maps as far" in text
    assert "no change carried over" in text and "about as far from the teacher on synthetic as on real" in text


# ------------------------------------------------------------------ try it: a wrong class
def test_wrong_class_all_larger():
    text = L.wrong_class({RTN: 0.0114, TUNED: 0.0097}, {RTN: 0.0241, TUNED: 0.0183}, 512)
    assert "Over 512 real test images" in text and "the RTN student 0.0241 against 0.0114 (2.1x)" in text
    assert "For every student the maps of a wrong class disagree more" in text


def test_wrong_class_none_larger():
    text = L.wrong_class({RTN: 0.03, TUNED: 0.02}, {RTN: 0.01, TUNED: 0.01}, 128)
    assert "For no student" in text and "(0.3x)" in text


def test_wrong_class_mixed():
    text = L.wrong_class({RTN: 0.01, TUNED: 0.02}, {RTN: 0.02, TUNED: 0.01}, 128)
    assert "disagree more for the RTN student but not for the SynQ fine-tuned student" in text


# ------------------------------------------------------------------ section 4: our ablation
def test_ablation_not_in_checkout():
    for runs in (None, [], _ablation({}, {})):
        text = L.ablation(runs)
        assert "not in this checkout" in text and "interval" not in text
    assert L.ablation_verdicts(None) == {}


def test_ablation_unresolved_two_seeds():
    runs = _ablation({0: (60.05, 57.70), 1: (58.85, 53.73)}, {0: (72.31, 69.64), 1: (72.09, 68.26)})
    text = L.ablation(runs)
    assert "Adding CAM alignment to the baseline (KD + CE) is +3.73 points on average over seeds 0, 1" in text
    assert "(+2.35, +5.12;" in text and "+3.25 points" in text and "(+2.67, +3.83;" in text
    assert "No interval excludes zero" in text and "above zero for" not in text
    assert set(L.ablation_verdicts(runs).values()) == {"unresolved"}


def test_ablation_gain_and_loss():
    runs = _ablation({0: (60.0, 58.0), 1: (60.1, 58.05), 2: (59.9, 57.95)},
                     {0: (70.0, 72.0), 1: (70.1, 72.05), 2: (69.9, 71.95)})
    text = L.ablation(runs)
    assert "The interval lies above zero for adding CAM alignment to the baseline" in text
    assert "The interval lies below zero for adding CAM alignment to filter + soft labels" in text
    assert "No interval" not in text


def test_ablation_one_comparison_only():
    text = L.ablation(_ablation({0: (60.0, 58.0), 1: (61.0, 57.0)}, {}))
    assert "baseline" in text and "filter + soft labels" not in text


# ------------------------------------------------------------------ section 7: the control
def test_control_not_in_checkout():
    for runs in (None, [], _control({3: 0.03}, {}), _control({}, {3: 0.03}), _control({3: 0.03}, {4: 0.03})):
        text = L.control(runs)
        assert "not in this checkout" in text and "w3a3_cpu-cam-off_s{3,4,5}.json" in text
        assert L.control_verdicts(runs) is None and L.control_table(runs) == []


def test_control_runs_filters_bits_names_and_missing_keys():
    runs = _control({3: 0.0385, 4: 0.0395}, {3: 0.0409, 4: 0.0411})
    runs += [_crun("cpu", 5, 0.04, 0.03, 70.0, w_bits=4), _crun("cpu-cam-off", 5, 0.04, 0.03, 70.0, w_bits=4)]
    runs.append(_crun("cpu-plus", 3, 0.04, 0.02, 80.0, use_cam=True))  # another setting
    # another bit-width (seed 5, both arms) is left out too
    bare = _crun("cpu-cam-off", 6, 0.04, 0.03, 70.0)
    del bare["val_final_cam_loss"]                                     # an older run without the CAM losses
    runs += [bare, _crun("cpu", 6, 0.04, 0.03, 70.0)]
    c = L.control_runs(runs)
    assert list(c["on"]) == [3, 4] and list(c["off"]) == [3, 4]


def test_control_runs_name_and_config_disagree():
    with pytest.raises(ValueError, match="disagree"):
        L.control_runs([_crun("cpu-cam-off", 3, 0.04, 0.03, 70.0, use_cam=True)])
    with pytest.raises(ValueError, match="disagree"):
        L.control_runs([_crun("cpu", 3, 0.04, 0.03, 70.0, use_cam=False)])


def test_control_table_rows():
    rows = L.control_table(_control({3: 0.0385}, {3: 0.0409}, before=0.0448))
    assert [r["student"][:4] for r in rows] == ["SynQ", "SynQ"] and "λ_CAM = 0" in rows[1]["student"]
    assert rows[0]["CAM loss after RTN"] == "0.0448" and rows[0]["CAM loss after fine-tuning"] == "0.0385"
    assert rows[0]["change"] == "-0.0063" and rows[1]["test top-1 (%)"] == "70.00"
    assert rows[0]["validation top-1 (%)"] == "75.00"


def test_control_committed_like_values_unresolved():
    runs = _control({3: 0.03846, 4: 0.03948}, {3: 0.04088, 4: 0.04106}, before=0.0448,
                    acc_on={3: 73.38, 4: 71.61}, acc_off={3: 71.79, 4: 70.40})
    v = L.control_verdicts(runs)
    assert v["seeds"] == [3, 4] and v["cam"] == "unresolved" and v["acc"] == "unresolved" and v["same_start"]
    assert v["off_moves"] == ["fell", "fell"] and v["on_moves"] == ["fell", "fell"]
    text = L.control(runs)
    assert "Seed 3: with the CAM term the loss fell from 0.0448 to 0.0385" in text
    assert "without it, fell from 0.0448 to 0.0409" in text
    assert "start from the same RTN student" in text
    assert "**Without the CAM term** the loss fell on both seeds (by 0.0038 on average)" in text
    assert "not by itself evidence" in text and "the student without the term went 66 % of that way" in text
    assert "is -0.0020 on average over seeds 3, 4 (-0.0024, -0.0016; 95 % t interval" in text
    assert "ends lower with the term on 2 of 2 seeds; whether the CAM term itself" in text
    assert "Only two seeds (3 and 4)" in text and "12.71" in text
    assert "**Accuracy** (test top-1, with the term minus without) is +1.40 points" in text
    assert "raises accuracy" not in text and "not the control" in text


def test_control_cam_term_lowers_the_loss_and_raises_accuracy():
    runs = _control({3: 0.0300, 4: 0.0301}, {3: 0.0400, 4: 0.0402}, acc_on={3: 72.0, 4: 72.1},
                    acc_off={3: 70.0, 4: 70.05})
    v = L.control_verdicts(runs)
    assert v["cam"] == "loss" and v["acc"] == "gain"
    text = L.control(runs)
    assert "lowers the real-image CAM loss beyond what distillation and cross-entropy do" in text
    assert "the CAM term raises accuracy at this budget" in text and "stays open" not in text


def test_control_cam_term_raises_the_loss_and_costs_accuracy():
    runs = _control({3: 0.0500, 4: 0.0501}, {3: 0.0400, 4: 0.0400}, acc_on={3: 68.0, 4: 68.1},
                    acc_off={3: 70.0, 4: 70.05})
    v = L.control_verdicts(runs)
    assert v["cam"] == "gain" and v["acc"] == "loss"
    text = L.control(runs)
    assert "leaves the student's maps further from the teacher's" in text and "costs accuracy" in text
    assert "with the term it fell" not in text.lower()  # the with-term run rose: no share of a fall


def test_control_without_term_rose_on_every_seed_three_seeds():
    runs = _control({3: 0.040, 4: 0.041, 5: 0.039}, {3: 0.050, 4: 0.052, 5: 0.049}, before=0.045)
    v = L.control_verdicts(runs)
    assert v["off_moves"] == ["rose"] * 3
    text = L.control(runs)
    assert "the loss rose on every seed" in text and "hold them in place" in text
    assert "Only two seeds" not in text and "seeds 3, 4, 5" in text


def test_control_mixed_moves_and_different_start():
    runs = _control({3: 0.040, 4: 0.041}, {3: 0.040, 4: 0.050}, before=0.045)
    runs[2]["val_rtn_cam_loss"] = 0.046  # the off run of seed 3 started elsewhere
    v = L.control_verdicts(runs)
    assert not v["same_start"] and v["off_moves"] == ["fell", "rose"]
    text = L.control(runs)
    assert "differ (by up to 0.0010)" in text and "fell on seed 3; rose on seed 4" in text
    assert "do not move the maps the same way on every seed" in text


def test_control_one_seed():
    text = L.control(_control({3: 0.040}, {3: 0.041}))
    assert "on seed 3 alone (one seed: no interval" in text and "One seed gives no interval" in text
    assert "the loss fell on seed 3" in text and "Only two seeds" not in text


def test_control_unchanged_without_the_term():
    text = L.control(_control({3: 0.040, 4: 0.041}, {3: 0.0450, 4: 0.04501}, before=0.045))
    assert "the loss stayed within 1 % on both seeds" in text


# ------------------------------------------------------------------ exercise 3 and the summary
def test_floor_gradient_orders_of_magnitude():
    text = L.floor_gradient({0.0: (1.4e-5, 0.09, 136.7), 0.05: (1.4e-5, 0.31, 0.459)}, 0.05)
    assert "1.4e-05, below the floor 0.05" in text and "298 times larger, 2.5 orders of magnitude" in text


def test_floor_gradient_less_than_tenfold_and_above_floor():
    text = L.floor_gradient({0.0: (0.2, 0.1, 3.0), 0.05: (0.2, 0.1, 1.0)}, 0.05)
    assert "not below the floor 0.05" in text and "3.0 times larger: more, but less than tenfold" in text


def test_floor_gradient_not_larger():
    text = L.floor_gradient({0.0: (0.2, 0.1, 1.0), 0.05: (0.2, 0.1, 1.0)}, 0.05)
    assert "is not larger (1.00 times" in text


def test_summary_with_control():
    runs = _control({3: 0.03846, 4: 0.03948}, {3: 0.04088, 4: 0.04106}, before=0.0448,
                    acc_on={3: 73.38, 4: 71.61}, acc_off={3: 71.79, 4: 70.40})
    text = L.summary(_cam(0.0114, 0.0095, 0.0236, 0.0156), 512, 4, 4, runs, 298.0)
    assert "**This run** (W4A4, 512 images of each kind)" in text
    assert "fell from 0.0236 to 0.0156 (-33.9 %) on filtered synthetic" in text
    assert "fell from 0.0114 to 0.0095 (-16.7 %) on real test images" in text
    assert "seeds 3 and 4" in text and "fell on both seeds" in text and "not resolved by these seeds" in text
    assert "+1.40 points (interval contains zero)" in text and "298 times the floored one" in text
    assert text.count("\n- ") == 2


def test_summary_control_resolved_one_seed_missing_and_floor_not_larger():
    resolved = _control({3: 0.0300, 4: 0.0301}, {3: 0.0400, 4: 0.0402}, acc_on={3: 72.0, 4: 72.1},
                        acc_off={3: 70.0, 4: 70.05})
    text = L.summary(_cam(0.0140, 0.0205, 0.0236, 0.0156), 128, 3, 3, resolved, 0.8)
    assert "rose from 0.0140 to 0.0205" in text and "the term lowers it" in text and "interval above zero" in text
    assert "not larger (0.80 times" in text
    one = L.summary(_cam(0.01, 0.01, 0.02, 0.01), 128, 3, 3, _control({3: 0.040}, {3: 0.041}), 20.0)
    assert "one seed, no interval" in one and "no claim beyond this pair of runs" in one
    assert "not in this checkout" in L.summary(_cam(0.01, 0.01, 0.02, 0.01), 128, 3, 3, None, 20.0)
    student = L.summary(_cam(0.01, 0.01, 0.02, 0.01), 128, 3, 3, None, None)  # Exercise 3's solution removed
    assert "Exercise 3 measures what it does" in student and "times the floored one" not in student
