"""The whole experiment: teacher -> synthesis -> quantization + calibration -> fine-tuning -> evaluation."""
from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from .config import SynQConfig
from .cam import mean_cam_loss
from .data import DATASETS, VAL_START, load_dataset, validation_set
from .evaluation import evaluate
from .filtering import low_pass_filter
from . import distributed as D
from .finetune import check_resumable, finetune, load_checkpoint, run_fingerprint
from .models import get_device, load_teacher, teacher_info
from .quantization import calibrate_activations, make_act_steps_learnable, model_size_bits, quantize_model
from .synthesis import SyntheticSet, synthesize


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def calibration_images(synth_images: torch.Tensor, cfg: SynQConfig) -> torch.Tensor:
    x = synth_images[:cfg.calib_images]
    if cfg.use_filter and cfg.filter_calibration:
        x = low_pass_filter(x, cfg.d0, cfg.filter_kind)
    return x


def real_training_set(cfg: SynQConfig, info) -> SyntheticSet:
    """A class-balanced set of ``cfg.num_images`` real training images (the data-access reference)."""
    train = load_dataset(cfg.dataset, "train", normalize=info)
    per_class = cfg.num_images // info.num_classes
    if per_class > VAL_START:  # the validation split starts there: never train on it
        raise ValueError(f"at most {VAL_START * info.num_classes} real training images (the validation split "
                         f"begins at image {VAL_START} of each class), asked for {cfg.num_images}")
    idx = torch.cat([torch.nonzero(train.labels == c)[:per_class, 0] for c in range(info.num_classes)])
    if len(idx) < cfg.num_images - info.num_classes:
        raise ValueError(f"only {len(idx)} real training images available, asked for {cfg.num_images}")
    idx = idx[torch.randperm(len(idx), generator=torch.Generator().manual_seed(cfg.seed))]
    return SyntheticSet(train.images[idx], train.labels[idx], settings=dict(real=True, num_images=len(idx)))


def synthetic_set(cfg: SynQConfig, teacher, progress: bool = True) -> SyntheticSet:
    """The synthetic set of ``cfg`` (from the cache when it was made before): what run_experiment uses,
    so that a script can make the sets of several runs ahead of them (benchmarks/gpu_run.sh)."""
    return synthesize(teacher, cfg.num_images, cfg.synth_iters, cfg.synth_batch, cfg.synth_lr, cfg.alpha_bns,
                      cfg.beta_il, cfg.gamma_il, seed=cfg.seed, progress=progress,
                      bf16=bool(cfg.extra.get("bf16", False)), group=int(cfg.extra.get("synth_group", 1)))


def write_json(obj, path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def finished_run(out_dir, cfg: SynQConfig, teacher, synthetic: SyntheticSet) -> dict | None:
    """The recorded results of the run ``cfg`` that already finished in ``out_dir``, with its student rebuilt from
    the checkpoint (``results["student"]``, ``results["reloaded"] = True``; run_experiment adds ``reload_s``), or None when it has not finished there.
    Nothing is evaluated again: the numbers are the ones the run measured (the checkpoint must have been written by
    this run: config, package version, teacher weights and training images, else RunFolderMismatch)."""
    res_path, ckpt = Path(out_dir) / "results.json", Path(out_dir) / "checkpoint.pt"
    if not (res_path.is_file() and ckpt.is_file()):
        return None
    state = load_checkpoint(ckpt)
    check_resumable(state, run_fingerprint(cfg, teacher, synthetic.images, synthetic.labels), ckpt)
    try:
        results = json.loads(res_path.read_text())
    except ValueError:
        return None  # a results file cut short: the run path below rewrites it
    from .results import ADDED_LATER  # config fields added after a run was recorded: at the value it ran with

    done = state["epoch"] >= cfg.epochs or state["history"].get("stopped_early")
    recorded = {**ADDED_LATER, **results.get("config", {})}
    if not done or recorded != cfg.to_dict() or results.get("epochs_done") != len(state["history"]["epoch"]):
        return None
    student = quantize_model(teacher, cfg.w_bits, cfg.a_bits, cfg.weight_range)
    if cfg.extra.get("channels_last"):
        student = student.to(memory_format=torch.channels_last)
    if cfg.act_quant == "lsq":  # the learnable step sizes exist only once the ranges are calibrated
        student.load_state_dict({k: v for k, v in state["student"].items() if "lsq_" not in k}, strict=False)
        make_act_steps_learnable(student)
    student.load_state_dict(state["student"])
    results.update(reloaded=True, student=student)
    return results


def run_experiment(cfg: SynQConfig, out_dir=None, progress: bool = True, teacher=None, synthetic=None,
                   test_set=None, on_epoch=None, resume: bool = True, fresh: bool = False) -> dict:
    """Run one experiment and return (and, with ``out_dir``, write ``results.json``) its results.

    ``teacher``/``synthetic``/``test_set`` may be passed in to reuse them across runs (ablations).
    With ``out_dir``, fine-tuning keeps ``out_dir/checkpoint.pt`` and resumes from it, but only when
    it was written by this same run (config, package version, teacher, training images); a
    checkpoint of another run stops the run with RunFolderMismatch (a ValueError naming the folder
    and the settings that differ) before anything is computed. ``fresh=True`` (or ``resume=False``)
    deletes that checkpoint and starts afresh. When ``out_dir`` holds this run, finished, its recorded results are
    returned without training or evaluating anything again (:func:`finished_run`; ``reload_s``: this call's seconds).
    """
    cfg.validate()
    ckpt = Path(out_dir) / "checkpoint.pt" if out_dir is not None else None

    def prepare_folder():  # on rank 0 only (under torchrun, its verdict reaches every rank)
        if ckpt is not None and (fresh or not resume):
            ckpt.unlink(missing_ok=True)
            (Path(out_dir) / "results.json").unlink(missing_ok=True)  # the discarded run's results
        elif ckpt is not None and ckpt.is_file():  # fail fast, before the teacher is loaded and images made
            check_resumable(load_checkpoint(ckpt), run_fingerprint(cfg), ckpt)

    D.same_on_all_ranks(prepare_folder)
    torch.manual_seed(cfg.seed)
    device = get_device(None if cfg.device == "auto" else cfg.device)
    times = {}
    t, c0 = time.perf_counter(), time.process_time()
    if teacher is None:
        teacher = load_teacher(cfg.model, device=device)
    if cfg.extra.get("channels_last"):
        teacher = teacher.to(memory_format=torch.channels_last)
    info = teacher_info(teacher)
    if info.dataset != cfg.dataset:
        raise ValueError(f"model {cfg.model!r} is a {info.dataset} model, but dataset is {cfg.dataset!r}")
    if out_dir is not None and resume and not fresh and not D.is_distributed():
        from .artifacts import install

        install(out_dir)  # a run the package ships, written into its empty folder (synq_nb.artifacts)
    if (out_dir is not None and resume and not fresh and not D.is_distributed()
            and (Path(out_dir) / "results.json").is_file()):  # finished before? then reload, evaluate nothing again
        if synthetic is None:  # its training images identify the run (from the cache when made before)
            synthetic = real_training_set(cfg, info) if cfg.train_data == "real" else synthetic_set(cfg, teacher, progress)
        done = finished_run(out_dir, cfg, teacher, synthetic)
        if done is not None:  # this call's synthetic set: loaded from the cache or made now
            done.update(reload_s=time.perf_counter() - t, synthetic_from_cache=synthetic.from_cache)
            return done
    if test_set is None:
        test_set = load_dataset(cfg.dataset, "test" if cfg.dataset != "imagenet" else "val", normalize=info, limit=cfg.eval_limit)
    val_set, val_note = None, None  # a custom dataset (tests) or no training split on disk: run without validation
    if cfg.dataset in DATASETS:
        try:
            val_set = validation_set(cfg.dataset, normalize=info, limit=cfg.eval_limit)
        except FileNotFoundError as e:
            val_note = f"no validation numbers: {e}"
            print(f"note: {val_note}")
    times["load"] = time.perf_counter() - t
    cpu = {"load": time.process_time() - c0}
    eval_seconds = [0.0]
    val = {}  # validation split (chooses settings), kept apart from the test set

    def on_val(key, model):
        if val_set is None:
            return
        t0 = time.perf_counter()
        val[f"val_{key}_top1"] = evaluate(model, val_set)["top1"]
        if key != "fp":  # how differently the student looks at real images than the teacher (Eq. 5, 512 images)
            n = min(512, len(val_set))
            val[f"val_{key}_cam_loss"] = mean_cam_loss(teacher, model, val_set.images[:n], val_set.labels[:n],
                                                       floor=cfg.cam_floor)
        times["validation"] = times.get("validation", 0.0) + time.perf_counter() - t0

    def top1(model):
        t0 = time.perf_counter()
        r = evaluate(model, test_set)
        eval_seconds[0] += time.perf_counter() - t0
        return r

    fp = top1(teacher)
    on_val("fp", teacher)
    t, c = time.perf_counter(), time.process_time()
    if synthetic is None and cfg.train_data == "real":
        synthetic = real_training_set(cfg, info)
    elif synthetic is None:
        synthetic = synthetic_set(cfg, teacher, progress)
    times["synthesis"] = time.perf_counter() - t
    cpu["synthesis"] = time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    student = quantize_model(teacher, cfg.w_bits, cfg.a_bits, cfg.weight_range)
    if cfg.extra.get("channels_last"):  # quantize_model builds new layers in the default format
        student = student.to(memory_format=torch.channels_last)
    calibrate_activations(student, calibration_images(synthetic.images, cfg).to(device))
    if cfg.act_quant == "lsq":
        make_act_steps_learnable(student)
    times["calibration"] = time.perf_counter() - t
    cpu["calibration"] = time.process_time() - c
    rtn = top1(student)
    on_val("rtn", student)
    t, c = time.perf_counter(), time.process_time()
    ev0 = eval_seconds[0]
    eval_cpu = [0.0]
    last_eval = {}

    def eval_epoch(model):
        c1 = time.process_time()
        last_eval.clear()
        last_eval.update(top1(model))
        eval_cpu[0] += time.process_time() - c1
        return last_eval["top1"]

    history = finetune(student, teacher, synthetic.images, synthetic.labels, cfg,
                       eval_fn=eval_epoch, checkpoint=ckpt, progress=progress, on_epoch=on_epoch)
    times["evaluation_during_finetune"] = eval_seconds[0] - ev0
    times["finetune"] = time.perf_counter() - t - times["evaluation_during_finetune"]
    cpu["finetune"] = time.process_time() - c - eval_cpu[0]
    final = dict(last_eval) if last_eval else top1(student)  # the last epoch is always evaluated
    on_val("final", student)
    times["evaluation"] = eval_seconds[0]
    cpu["total"] = time.process_time() - c0
    evaluated = [a for a in history["top1"] if a is not None]
    results = dict(
        model=cfg.model, dataset=cfg.dataset, w_bits=cfg.w_bits, a_bits=cfg.a_bits, seed=cfg.seed,
        preset=cfg.preset, fp_top1=fp["top1"], fp_top5=fp["top5"], rtn_top1=rtn["top1"], rtn_top5=rtn["top5"],
        final_top1=final["top1"], final_top5=final["top5"],
        best_top1=max(evaluated + [final["top1"]]),  # best over the evaluated epochs (labelled as such)
        size_bits_fp=model_size_bits(teacher), size_bits_quant=model_size_bits(student),
        synthetic_from_cache=synthetic.from_cache, synthesis_seconds_when_made=synthetic.seconds,
        times_s=times, total_s=sum(v for k, v in times.items() if k != "evaluation_during_finetune"),
        cpu_s=cpu, **val, val_images=len(val_set) if val_set is not None else 0, **({'val_note': val_note} if val_note else {}),
        device=device_name(device) + (f" x {D.world_size()} processes" if D.is_distributed() else ""), torch=torch.__version__, date=time.strftime("%Y-%m-%d"),
        epochs_done=len(history["epoch"]), stopped_early=history.get("stopped_early"),
        history={k: v for k, v in history.items() if k not in ("iter_loss", "stopped_early")},
        eval_images=len(test_set), config=cfg.to_dict(),
    )
    if D.is_distributed():
        results["processes"] = D.world_size()
    if out_dir is not None and D.is_main():
        write_json(results, Path(out_dir) / "results.json")
    results["student"] = student  # not serialised: for notebooks
    return results


def summary_line(r: dict) -> str:
    return (f"{r['model']} W{r['w_bits']}A{r['a_bits']} seed {r['seed']} ({r['preset']}): FP {r['fp_top1']:.2f}  "
            f"RTN {r['rtn_top1']:.2f}  final {r['final_top1']:.2f} (best {r['best_top1']:.2f})  "
            f"size {r['size_bits_fp'] / 8e6:.2f} MB -> {r['size_bits_quant'] / 8e6:.2f} MB  "
            + (f"[reloaded in {r['reload_s']:.1f} s; its fine-tuning took {sum(r['history']['seconds']):.0f} s when computed]"
               if r.get("reloaded") else f"[{r['total_s']:.0f} s on {r['device']}]"))
