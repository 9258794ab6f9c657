"""The Trainer's fast path: flat parameter buffers and the hand-written step on them.

For untied ReLU SAEs (:func:`~sae_core.training.torch_step.fast_step_applies`) the Trainer keeps all N
models' parameters in one flat tensor, its gradient in another, and lets one fused Adam kernel
update everything. The step itself runs in NumPy on the CPU (views of the same memory, no copies:
small models are dispatch-bound and NumPy's per-op cost is a third of torch's) and in torch on
GPUs (:mod:`sae_core.training.torch_step`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from sae_core.config import SAEConfig, TrainConfig
from sae_core.training.numpy_step import NumpyAuxK, forward_backward_numpy
from sae_core.training.torch_step import AuxK, flatten_params, forward_backward, views_like

StepTerms = tuple[list[list[float]], Tensor]
"""([loss, recon, penalty, l0] each a list of N floats, fired [N, d_sae] bool)."""


BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults
EPS = 1e-8


def uses_numpy(device: torch.device) -> bool:
    """Whether the fast path's step runs in NumPy (on the CPU) rather than torch."""
    return device.type == "cpu"


def make_adam(params: list[Tensor], lr: float) -> torch.optim.Optimizer:
    """Adam with the fused kernel where this torch build has it (one kernel for all params)."""
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=lr, foreach=True)


class FlatAdam:
    """Adam on one flat parameter tensor, calling torch's fused Adam kernel directly.

    The same update as ``torch.optim.Adam(fused=True)`` (the same kernel, bit for bit) without
    torch.optim's per-step Python (~20 µs, a tenth of a small model's step) and without the
    ~0.8 s of torch._dynamo imports its first construction costs in a process, which the app's
    first Train click would otherwise wait for. ``state[param]`` holds ``step``, ``exp_avg``
    and ``exp_avg_sq`` like torch.optim's; ``state.clear()`` restarts the moments.
    """

    def __init__(self, param: Tensor, lr: float) -> None:
        self.param = param
        self.lr = lr
        self.state: dict[Tensor, dict[str, Tensor]] = {}

    def step(self) -> None:
        state = self.state.get(self.param)
        if state is None:
            zeros = torch.zeros_like(self.param)
            step = torch.zeros((), dtype=torch.float32, device=self.param.device)
            state = {"step": step, "exp_avg": zeros, "exp_avg_sq": zeros.clone()}
            self.state[self.param] = state
        state["step"] += 1
        assert self.param.grad is not None
        torch._fused_adam_(
            [self.param],
            [self.param.grad],
            [state["exp_avg"]],
            [state["exp_avg_sq"]],
            [],
            [state["step"]],
            lr=self.lr,
            beta1=BETAS[0],
            beta2=BETAS[1],
            weight_decay=0.0,
            eps=EPS,
            amsgrad=False,
            maximize=False,
        )


def make_flat_adam(flat: Tensor, lr: float) -> FlatAdam | torch.optim.Optimizer:
    """:class:`FlatAdam` where this torch build runs the fused kernel on ``flat``'s device,
    else torch.optim's Adam (e.g. torch < 2.4 on the CPU)."""
    probe = torch.zeros(1, device=flat.device)
    probe.grad = torch.ones(1, device=flat.device)
    try:
        FlatAdam(probe, lr).step()
    except (AttributeError, NotImplementedError, RuntimeError, TypeError):
        return make_adam([flat], lr)
    return FlatAdam(flat, lr)


class FastPath:
    """Flat parameters, gradients and Adam for a stack of N models, and their step.

    ``stacked``: PARAM_ORDER tensors with a leading model dimension, on the training device.
    ``params`` are views of the flat buffer under the same names: writing them writes the model.
    """

    def __init__(self, stacked: dict[str, Tensor], cfg: SAEConfig, train_config: TrainConfig):
        self.cfg = cfg
        self.train_config = train_config
        self.flat, self.params = flatten_params(stacked)
        self.flat.grad = torch.zeros_like(self.flat)
        self.grads = views_like(self.flat.grad, self.params)
        self.optimizer = make_flat_adam(self.flat, train_config.lr)
        self.use_numpy = uses_numpy(self.flat.device)
        if self.use_numpy:
            self._np_params = {name: t.numpy() for name, t in self.params.items()}
            self._np_grads = {name: t.numpy() for name, t in self.grads.items()}

    def loss_and_grads(self, x: Tensor, lam: Tensor, dead: Tensor | None) -> StepTerms:
        """Loss terms of a step on ``x`` [B, d_in] or [N, B, d_in]; fills the gradient buffer.

        lam: [N]; dead: [N, d_sae] bool when AuxK is on, else None.
        """
        tc = self.train_config
        if self.use_numpy:
            aux = (
                None if dead is None else NumpyAuxK(dead=dead.numpy(), k=tc.aux_k, coef=tc.aux_coef)
            )
            with np.errstate(invalid="ignore", over="ignore"):  # divergence is checked after
                res = forward_backward_numpy(
                    x.numpy(), self._np_params, self._np_grads, self.cfg, lam.numpy(), auxk=aux
                )
            terms = [res.loss.tolist(), res.recon.tolist(), res.penalty.tolist(), res.l0.tolist()]
            return terms, torch.from_numpy(res.fired)
        auxk = None if dead is None else AuxK(dead=dead, k=tc.aux_k, coef=tc.aux_coef)
        out = forward_backward(x, self.params, self.grads, self.cfg, lam, auxk=auxk)
        fired = (out.latents > 0).reshape(lam.shape[0], -1, self.cfg.d_sae)
        l0 = fired.sum(-1).float().mean(-1)
        terms = torch.stack([out.loss, out.recon, out.penalty, l0]).cpu().tolist()
        return terms, fired.any(-2)

    def adam_moments(self) -> list[dict[str, Tensor]]:
        """Adam's exp_avg and exp_avg_sq as views by parameter name (none before a step)."""
        state = self.optimizer.state.get(self.flat, {})
        return [
            views_like(state[key], self.params) for key in ("exp_avg", "exp_avg_sq") if key in state
        ]
