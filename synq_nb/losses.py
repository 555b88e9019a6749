"""The fine-tuning losses of Eq. 6."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def kd_loss(student_logits, teacher_logits, temperature: float = 1.0, alpha: float = 1.0):
    """KL(teacher || student), batch mean. ``temperature=1, alpha=1``: the paper's plain KL.
    Official code: T = 20 with the alpha * T^2 scaling (alpha 20, i.e. x8000)."""
    t = temperature
    kl = F.kl_div(F.log_softmax(student_logits / t, 1), F.log_softmax(teacher_logits / t, 1),
                  reduction="batchmean", log_target=True)
    return alpha * t * t * kl if t != 1 or alpha != 1 else kl


def difficulty(teacher_logits, labels):
    """Eq. 3: delta_i = 1 - p_teacher(y_i | x_i)."""
    return 1 - teacher_logits.softmax(1).gather(1, labels[:, None])[:, 0]


def selective_ce(student_logits, labels, delta, tau: float):
    """Idea 3: CE on the samples with difficulty <= tau only, averaged over the whole batch
    (difficult samples learn from the soft labels alone). ``tau >= 1`` keeps every sample."""
    ce = F.cross_entropy(student_logits, labels, reduction="none")
    return (ce * (delta <= tau).to(ce.dtype)).mean()


def cam_loss(teacher_cam, student_cam):
    """Idea 2 (Eq. 5): squared distance between the teacher's and the student's Grad-CAM maps,
    as an element mean (the official code's MSE, which its lambda_CAM values were tuned against)."""
    return F.mse_loss(student_cam, teacher_cam.detach())
