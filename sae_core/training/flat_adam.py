"""The Trainer's weights: all N models' parameters in one flat buffer, and Adam on it.

The Trainer keeps every parameter of every stacked model in one contiguous tensor, the gradient
in another, and lets one fused Adam kernel update everything (at d_sae 4096, 6.7 ms per step
against 25 ms for torch.optim over separate tensors). The named parameters are views of the
buffer, so writing them writes the model; the step engines (:mod:`sae_core.training.step`) fill
the gradient buffer through views of it too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import torch
from torch import Tensor

PARAM_ORDER: tuple[str, ...] = ("W_enc", "W_dec", "b_enc", "b_dec")
"""The buffer's layout: these first (tied models have no W_enc: it is a view of W_decᵀ), then a
method's extra per-latent tensors [N, d_sae] in the order given (:func:`param_order`)."""


def param_order(params: Mapping[str, Tensor]) -> list[str]:
    """The names of ``params`` in buffer order: PARAM_ORDER's, then the others as given."""
    return [n for n in PARAM_ORDER if n in params] + [n for n in params if n not in PARAM_ORDER]


BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults
EPS = 1e-8


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


def _stored(t: Tensor, transposed: bool) -> Tensor:
    """``t`` as the buffer holds it: its last two axes swapped when ``transposed``."""
    return t.transpose(-1, -2) if transposed else t


def flatten_params(
    params: Mapping[str, Tensor], transposed: Collection[str] = ()
) -> tuple[Tensor, dict[str, Tensor]]:
    """Copy ``params`` (any subset of PARAM_ORDER's names, plus extras) into one contiguous
    buffer [P].

    Returns the buffer and views of it with the original shapes. The matrices named in
    ``transposed`` are stored with their last two axes swapped (their views are then
    transposed views: ``W_enc`` [N, d_in, d_sae] whose columns are contiguous), for an engine
    that writes a matrix's gradient by columns (:mod:`sae_core.training.sparse_step`).
    """
    parts = [_stored(params[n].detach(), n in transposed) for n in param_order(params)]
    flat = torch.cat([part.reshape(-1) for part in parts])
    return flat, views_like(flat, params, transposed)


def views_like(
    flat: Tensor, params: Mapping[str, Tensor], transposed: Collection[str] = ()
) -> dict[str, Tensor]:
    """Views of ``flat`` [P] laid out like :func:`flatten_params` lays out ``params``."""
    views: dict[str, Tensor] = {}
    offset = 0
    for name in param_order(params):
        shape = params[name].shape
        size = params[name].numel()
        chunk = flat[offset : offset + size]
        if name in transposed:
            views[name] = chunk.view(*shape[:-2], shape[-1], shape[-2]).transpose(-1, -2)
        else:
            views[name] = chunk.view(shape)
        offset += size
    return views


class FlatParams:
    """Flat parameters, gradients and Adam for a stack of N models.

    ``stacked``: PARAM_ORDER tensors with a leading model dimension, on the training device,
    and any extra per-latent tensors [N, d_sae]. ``params`` and ``grads`` are views of ``flat``
    and ``flat.grad`` under the same names (``transposed``: see :func:`flatten_params`; Adam is
    element-wise, so the storage order changes nothing in its update). A tensor no engine
    writes a gradient for (a method's non-gradient state) keeps a zero gradient, and Adam with
    a zero gradient and zero moments leaves it exactly where it is: only the method's
    ``update_state`` moves it.
    """

    def __init__(
        self, stacked: Mapping[str, Tensor], lr: float, transposed: Collection[str] = ()
    ) -> None:
        self.transposed = frozenset(transposed)
        self.flat, self.params = flatten_params(stacked, self.transposed)
        self.grad = torch.zeros_like(self.flat)
        self.flat.grad = self.grad  # where the engines write and Adam reads
        self.grads = views_like(self.grad, self.params, self.transposed)
        self.optimizer = make_flat_adam(self.flat, lr)

    def adam_moments(self) -> list[dict[str, Tensor]]:
        """Adam's exp_avg and exp_avg_sq as views by parameter name (none before a step)."""
        state = self.optimizer.state.get(self.flat, {})
        return [
            views_like(state[key], self.params, self.transposed)
            for key in ("exp_avg", "exp_avg_sq")
            if key in state
        ]

    def snapshot(self) -> Tensor:
        """A copy of every weight (one tensor)."""
        return self.flat.detach().clone()

    @torch.no_grad()
    def restore(self, snapshot: Tensor) -> None:
        """Back to ``snapshot``'s weights, with Adam's moments forgotten."""
        self.flat.copy_(snapshot)
        self.optimizer.state.clear()
