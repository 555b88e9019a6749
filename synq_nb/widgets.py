"""Interactive explorers for the notebooks (ipywidgets).

Each builder returns a :class:`Panel`: ``panel.widget`` to display, ``panel.controls`` (name ->
widget), and ``panel.last``, the result of the latest redraw (a dict with the ``figure`` and the
numbers it shows). The callback is a plain function of the control values (see the ``*_view``
functions of :mod:`synq_nb.plotting`); setting a control's ``.value`` (from a test, say) runs it.
"""
from __future__ import annotations

import torch

from . import plotting


class Panel:
    """Controls + an output area; every change of a control's value calls ``fn(**values)``, which
    returns ``(figure, info)``; the figure is shown in the output area and kept in ``last``."""

    def __init__(self, controls: dict, fn, title: str | None = None):
        import ipywidgets as W

        self.controls, self.fn = controls, fn
        self.output = W.Output()
        self.last: dict = {}
        self.calls = 0
        for c in controls.values():
            c.observe(self._on_change, names="value")
        head = [W.HTML(f"<b>{title}</b>")] if title else []
        self.widget = W.VBox(head + [W.HBox(list(controls.values())), self.output])
        self.update()

    def values(self) -> dict:
        return {k: c.value for k, c in self.controls.items()}

    def update(self) -> dict:
        fig, info = self.fn(**self.values())
        self.calls += 1
        self.last = dict(info, figure=fig)
        # Replace the output's state directly (no `with output:` capture, which can stall notebook runners)
        self.output.outputs = ()
        self.output.append_display_data(fig)
        plotting.close(fig)  # shown in the panel only (a closed figure can still be displayed again)
        return self.last

    def _on_change(self, _change):
        self.update()

    def _ipython_display_(self):  # display(panel) shows the widget
        from IPython.display import display

        display(self.widget)


def d0_explorer(images: torch.Tensor, mean=None, std=None, d0: float = 8.0, radius: float = 8.0,
                labels=None, classes=None) -> Panel:
    """A slider for the low-pass d0 and one for the image: redraws the image and its spectrum before
    and after filtering (:func:`synq_nb.plotting.filter_view`)."""
    import ipywidgets as W

    if len(images) == 0:
        raise ValueError("d0_explorer needs at least one image")

    def view(d0, index):
        label = classes[int(labels[index])] if labels is not None and classes is not None else None
        return plotting.filter_view(images[index], d0, mean, std, radius, label)

    controls = dict(d0=W.FloatSlider(value=d0, min=1.0, max=32.0, step=1.0, description="d0", continuous_update=False),
                    index=W.IntSlider(value=0, min=0, max=len(images) - 1, description="image", continuous_update=False))
    return Panel(controls, view, "Gaussian low-pass filter: choose d0")


def cam_picker(teacher, students: dict, images: torch.Tensor, labels, classes, mean=None, std=None) -> Panel:
    """Pick an image and a target class: Grad-CAM of the teacher and of each student (``{name: model}``)
    for that class, overlaid on the image. ``info``: the maps and each student's CAM loss against the
    teacher for that image and class."""
    import ipywidgets as W

    from .cam import grad_cam
    from .losses import cam_loss

    if len(images) == 0:
        raise ValueError("cam_picker needs at least one image")
    image_opts = [(f"{i}: {classes[int(labels[i])]}", i) for i in range(len(images))]
    class_opts = [("its label", -1)] + [(c, k) for k, c in enumerate(classes)]

    def view(index, target):
        x = images[index:index + 1]
        cls = int(labels[index]) if target == -1 else int(target)
        maps = {"teacher": grad_cam(teacher, x, cls, normalize=True, floor=0.05).detach()}
        for name, m in students.items():
            maps[name] = grad_cam(m, x, cls, normalize=True, floor=0.05).detach()
        losses = {n: float(cam_loss(maps["teacher"], v)) for n, v in maps.items() if n != "teacher"}
        notes = {n: f"CAM loss {v:.4f}" for n, v in losses.items()}
        fig = plotting.cam_overlay_figure(x, maps, mean, std, [f"image {index} ({classes[int(labels[index])]})"],
                                          title=f"Grad-CAM for class '{classes[cls]}'", row_notes=notes)
        return fig, dict(index=index, target=cls, maps=maps, cam_loss=losses)

    controls = dict(index=W.Dropdown(options=image_opts, value=0, description="image"),
                    target=W.Dropdown(options=class_opts, value=-1, description="class"))
    return Panel(controls, view, "Grad-CAM: pick an image and a class")


def tau_explorer(delta, tau: float = 0.5, images=None, labels=None, classes=None, mean=None, std=None) -> Panel:
    """A slider for tau: which samples (delta <= tau) get the hard-label CE (:func:`synq_nb.plotting.tau_view`)."""
    import ipywidgets as W

    def view(tau):
        return plotting.tau_view(delta, tau, images, labels, classes, mean, std)

    controls = dict(tau=W.FloatSlider(value=tau, min=0.0, max=1.0, step=0.05, description="τ", continuous_update=False))
    return Panel(controls, view, "Soft labels: choose τ")
