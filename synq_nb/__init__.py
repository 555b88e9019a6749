"""synq_nb: SynQ (ICLR 2025) zero-shot quantization, step by step.

Pipeline stages, one module each: models (teachers), data, synthesis, quantization, filtering,
cam (Grad-CAM), losses, finetune, evaluation, pipeline (whole experiment), config, cli.
"""
from .cam import forward_with_features, grad_cam
from .config import PRESETS, SynQConfig, get_config
from .data import CIFAR10_CLASSES, denormalize, load_dataset, normalize_images
from .evaluation import (accuracy_from_logits, agreement, agreement_from_logits, evaluate, per_class_accuracy,
                         per_class_from_logits, predict)
from .filtering import high_frequency_energy, low_pass_filter, lowpass_mask, power_spectrum, radial_profile
from .finetune import finetune
from .losses import cam_loss, difficulty, kd_loss, selective_ce
from .models import TEACHERS, WeightsNotFoundError, get_device, load_teacher, teacher_info
from .pipeline import run_experiment, summary_line
from .quantization import calibrate_activations, model_size_bits, quantize_model
from .synthesis import bn_stats_loss, synthesize

__version__ = "0.1.0"
