r"""The sparse step for the TopK family: only the encoder's forward pass is dense.

A TopK-family model keeps K of its d_sae latents per sample (BatchTopK and Matryoshka: k·B over
the batch), yet the dense step (:mod:`~sae_core.training.numpy_step`) multiplies by the whole
dictionary five times. Here only ``pre = x_c W_enc + b_enc`` is a dense matmul (the selection
needs every pre-activation; it is :func:`sae_core.topk.sorted_topk_columns`, 2–6× faster than
``torch.topk`` here); everything else runs over the S ≈ k·B selected *slots* (sample b,
latent j, value a = ReLU(pre[b, j])):

- decode: ``x̂ − b_dec = Σ_slots a W_dec[j]`` gathers K decoder rows per sample
  (``embedding_bag`` with per-slot weights);
- ``∂L/∂f`` at the slots: the dot products ``W_dec[j] · g_err[b]`` (``sampled_addmm``: the
  product ``g_err W_decᵀ`` evaluated only at the selected entries);
- ``∂L/∂W_dec[j] = Σ_{slots of j} a · g_err[b]`` and ``∂L/∂W_enc[:, j] = Σ_{slots of j}
  ∂L/∂pre · x_c[b]``: slots grouped by latent, one weighted row sum per active latent, added
  straight into the active rows of W_dec's gradient and the active columns of W_enc's (SciPy's
  CSR kernel on the CPU; ``embedding_bag`` and a copy elsewhere). Inactive rows and columns
  are exactly 0, as in the dense step.

The gradients are those of :class:`~sae_core.training.numpy_step.NumpyEngine` and of autograd
(tests/training/test_sparse_step.py): same objective, float32, another summation order.
Matryoshka's mean of P prefix losses fits the same scheme: each slot decodes into its prefix
block's partial reconstruction, and its error signal is ``2/(P·B) Σ_{p ≥ block} e_p``. AuxK's
dead-latent term is sparse too (k_aux slots per sample); weight decay makes the weight
gradients dense (they are then written whole). Written in torch, so the same code runs on CUDA
(``embedding_bag``/``index_copy``-style kernels; the tests run that code on the CPU with
``sparse_ops.HOST_KERNELS`` off), but the Trainer picks it on the CPU only: its speed on a GPU
has not been measured (:mod:`~sae_core.training.engines`). On the CPU the one
dense matmul goes through NumPy's BLAS (faster than torch's here, like the dense step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from sae_core import methods
from sae_core.config import SAEConfig, TrainConfig
from sae_core.errors import ConfigError
from sae_core.methods import Method
from sae_core.training import sparse_ops as ops
from sae_core.training.flat_adam import FlatParams
from sae_core.training.step import StepResult


def _sparse_kind(method: Method) -> str | None:
    """ "topk" (K per sample), "batchtopk" (k·B over the batch; with prefix losses when the
    method reads ``matryoshka_prefixes``), or None where the sparse step does not apply."""
    if method.context_penalty is not None or any(p.trained for p in method.extra_params):
        return None
    if method.activation == "topk" and method.fast_step and method.recon_loss is None:
        return "topk"
    prefixes = "matryoshka_prefixes" in method.knobs
    if method.activation == "batchtopk" and (method.recon_loss is None or prefixes):
        return "batchtopk"
    return None


def sparse_step_covers(cfg: SAEConfig, device: torch.device) -> bool:
    """True when :class:`SparseEngine` computes this model's exact gradients on ``device``:
    a TopK-family method (topk, batchtopk, matryoshka), untied weights."""
    kind = _sparse_kind(methods.get(cfg.method))
    return kind is not None and not cfg.tied and not cfg.decoder_norm_penalty


ENGINE_LAYOUT: frozenset[str] = frozenset({"W_enc"})
"""The matrices this engine wants stored transposed in the flat buffer
(:class:`~sae_core.training.flat_adam.FlatParams`): W_enc's gradient is written by columns, one
per active latent, and a column of the transposed storage is a contiguous row. It also works,
slower, with the usual layout."""


@dataclass(frozen=True, kw_only=True)
class _ModelStep:
    """One model's loss terms (floats), fired latents [d_sae] and training latents."""

    loss: float
    recon: float
    aux: float
    l0: float
    fired: Tensor
    latents: Tensor | None


class SparseEngine:
    """The sparse step for a stack of N untied TopK-family models (see the module docstring).

    The weight gradients are written only where latents were active. The rows (W_dec) and
    columns (W_enc) a step wrote are remembered and zeroed at the next step (the whole matrix
    when that is cheaper, and at the first step and after weight decay). Without SciPy's kernel
    (off the CPU), where most latents are active the matrices are written whole instead (one
    bag per latent, empty ones 0).
    """

    def __init__(self, cfg: SAEConfig, train_config: TrainConfig, weights: FlatParams) -> None:
        method = methods.get(cfg.method)
        kind = _sparse_kind(method)
        if kind is None or not sparse_step_covers(cfg, weights.flat.device):
            raise ConfigError(
                f"the sparse step does not cover method={cfg.method!r} (tied={cfg.tied}): "
                "train it with the NumPy or autograd engine"
            )
        self.cfg = cfg
        self._kind = kind
        self._prefixes: tuple[int, ...] = (
            methods.matryoshka_prefixes(cfg.d_sae, cfg.matryoshka_prefixes)
            if method.recon_loss is not None
            else (cfg.d_sae,)
        )
        self._keep_latents = method.update_state is not None
        self._aux_k, self._aux_coef = min(train_config.aux_k, cfg.d_sae), train_config.aux_coef
        self._params = weights.params
        self._grads = weights.grads
        self._extras = [n for n in weights.params if n not in ("W_enc", "W_dec", "b_enc", "b_dec")]
        n_models = weights.params["W_dec"].shape[0]
        # per model: the latents whose rows/columns the last step wrote (None: clear all)
        self._touched: list[Tensor | None] = [None] * n_models

    @torch.no_grad()
    def loss_and_grads(self, x: Tensor, lam: Tensor, dead: Tensor | None) -> StepResult:
        n_models = lam.shape[0]
        any_dead = dead is not None and bool(dead.any())  # AuxK runs on all models or none
        for name in self._extras:  # state the method writes itself: no gradient
            self._grads[name].zero_()
        steps = [
            self._model_step(
                i, x if x.ndim == 2 else x[i], dead[i] if dead is not None and any_dead else None
            )
            for i in range(n_models)
        ]
        latents = None
        if self._keep_latents:
            latents = torch.stack([s.latents for s in steps if s.latents is not None])
        return StepResult(
            loss=[s.loss for s in steps],
            recon=[s.recon for s in steps],
            penalty=[0.0] * n_models,
            aux=[s.aux for s in steps],
            l0=[s.l0 for s in steps],
            fired=torch.stack([s.fired for s in steps]),
            latents=latents,
        )

    def _model_step(self, i: int, x: Tensor, dead: Tensor | None) -> _ModelStep:
        """Loss terms of model ``i`` on x [B, d_in]; writes its gradients. dead: [d_sae]."""
        W_enc, W_dec = self._params["W_enc"][i], self._params["W_dec"][i]
        b_enc, b_dec = self._params["b_enc"][i], self._params["b_dec"][i]
        batch, d_sae = x.shape[0], self.cfg.d_sae
        x_c = x - b_dec
        pre = ops.matmul(x_c, W_enc)
        pre += b_enc
        slots = ops.select(pre, self._kind, self.cfg.k)

        # decode: each slot adds a·W_dec[j] to its sample's block (Matryoshka: one block per
        # prefix; block p's partial sums accumulate to x̂_{≤m_p})
        n_blocks = len(self._prefixes)
        keys = slots.sample  # the bag (and CSR row) of each slot: block · B + sample
        if n_blocks > 1:  # sorted by (block, sample, latent), the order bags and CSR rows need
            bounds = torch.tensor(self._prefixes, device=x.device)
            keys = torch.bucketize(slots.latent, bounds, right=True) * batch + slots.sample
            order = torch.argsort(keys * d_sae + slots.latent)
            keys = keys[order]
            slots = ops.Slots(slots.sample[order], slots.latent[order], slots.value[order])
        offsets = ops.bag_offsets(keys, n_blocks * batch)
        parts = ops.bag_sums(slots.latent, W_dec, offsets, slots.value).view(n_blocks, batch, -1)
        errors = parts.cumsum(0) if n_blocks > 1 else parts  # x̂_{≤m_p} − b_dec
        errors -= x_c  # e_p = x̂_{≤m_p} − x
        err = errors[-1]
        per_block = errors.square().sum((-1, -2)) / batch
        recon = per_block[-1]
        train_recon = per_block.mean()
        # error signal of a slot in block q: 2/(P·B) Σ_{p ≥ q} e_p
        suffix_sums = errors.flip(0).cumsum(0).flip(0) if n_blocks > 1 else errors
        signal = (suffix_sums * (2.0 / (n_blocks * batch))).view(n_blocks * batch, -1)
        g_pre = ops.sampled_dots(keys, slots.latent, n_blocks * batch, signal, W_dec)
        g_pre *= slots.value > 0

        # every slot's contributions: W_dec rows (weight a, table row), pre (for W_enc, b_enc)
        latent, weight, table_row, sample, g_slot = (
            [slots.latent],
            [slots.value],
            [keys],
            [slots.sample],
            [g_pre],
        )
        table = signal
        aux = torch.zeros((), device=x.device)
        if dead is not None:
            aux_slots = ops.sorted_rows(torch.where(dead, pre.clamp_min(0), 0.0), self._aux_k)
            aux_err = ops.bag_sums(
                aux_slots.latent, W_dec, ops.bag_offsets(aux_slots.sample, batch), aux_slots.value
            )
            aux_err += err
            aux = aux_err.square().sum() / batch
            g_aux = aux_err * (2.0 * self._aux_coef / batch)
            g_aux_pre = ops.sampled_dots(aux_slots.sample, aux_slots.latent, batch, g_aux, W_dec)
            g_aux_pre *= aux_slots.value > 0
            table = torch.cat([signal, g_aux])
            latent.append(aux_slots.latent)
            weight.append(aux_slots.value)
            table_row.append(aux_slots.sample + n_blocks * batch)
            sample.append(aux_slots.sample)
            g_slot.append(g_aux_pre)
        self._write_grads(
            i,
            x_c,
            table,
            signal[:batch].sum(0),
            torch.cat(latent),
            torch.cat(weight),
            torch.cat(table_row),
            torch.cat(sample),
            torch.cat(g_slot),
        )
        loss = train_recon + self._aux_coef * aux
        if self.cfg.weight_decay:
            wd = self.cfg.weight_decay
            self._grads["W_enc"][i].add_(W_enc, alpha=2 * wd)
            self._grads["W_dec"][i].add_(W_dec, alpha=2 * wd)
            loss = loss + wd * (W_enc.square().sum() + W_dec.square().sum())
            self._touched[i] = None  # the weight gradients are dense now
        fired_slots = slots.value > 0
        fired = torch.zeros(d_sae, dtype=torch.bool, device=x.device)
        fired[slots.latent[fired_slots]] = True
        latents = None
        if self._keep_latents:
            latents = torch.zeros(batch, d_sae, device=x.device)
            latents[slots.sample, slots.latent] = slots.value
        terms = torch.stack([loss, recon, aux, fired_slots.sum() / batch]).tolist()
        return _ModelStep(
            loss=terms[0], recon=terms[1], aux=terms[2], l0=terms[3], fired=fired, latents=latents
        )

    def _write_grads(
        self,
        i: int,
        x_c: Tensor,
        table: Tensor,
        g_b_dec_recon: Tensor,
        latent: Tensor,
        weight: Tensor,
        table_row: Tensor,
        sample: Tensor,
        g_slot: Tensor,
    ) -> None:
        """Model ``i``'s gradients from its slots: ∂W_dec[j] = Σ weight·table[row],
        ∂W_enc[:, j] = Σ g_slot·x_c[sample], ∂b_enc[j] = Σ g_slot over the slots of latent j;
        ∂b_dec = Σ_b (error signal of the first block) − W_enc ∂b_enc."""
        g_W_enc, g_W_dec = self._grads["W_enc"][i], self._grads["W_dec"][i]
        d_in, d_sae = g_W_enc.shape
        order, indptr = ops.group_by_latent(latent, d_sae)
        counts = torch.from_numpy(np.diff(indptr)).to(latent.device)
        active = torch.nonzero(counts).squeeze(1)  # sorted
        before = self._touched[i]
        self._touched[i] = active
        if ops.can_accumulate(g_W_dec) and g_W_enc.T.is_contiguous():  # stored transposed
            for target, rows, weights, source in (
                (g_W_dec, table_row, weight, table),
                (g_W_enc.T, sample, g_slot, x_c),
            ):
                ops.clear_rows(target, before)
                ops.accumulate_rows(target, indptr, rows[order], weights[order], source)
            self._write_biases(i, g_b_dec_recon, latent, g_slot)
            return
        # most latents active (a small dictionary): one bag per latent, empty ones 0, written
        # whole, beats zeroing the old rows and scattering the new ones (1.5× at d_sae 4096)
        whole = 2 * active.shape[0] > d_sae
        if not whole:
            counts = counts[active]
        offsets = torch.cumsum(counts, 0) - counts
        rows_dec = ops.bag_sums(table_row[order], table, offsets, weight[order])
        cols_enc = ops.bag_sums(sample[order], x_c, offsets, g_slot[order])
        enc_rows = g_W_enc.T.is_contiguous()  # stored transposed (ENGINE_LAYOUT)
        if whole:
            g_W_dec.copy_(rows_dec)
            g_W_enc.copy_(cols_enc.T)  # a row copy when stored transposed
        else:
            ops.write_rows(g_W_dec, before, active, rows_dec)
            if enc_rows:  # W_enc's columns are contiguous rows of its storage
                ops.write_rows(g_W_enc.T, before, active, cols_enc)
            else:  # the usual layout: a strided write, several times slower
                if before is None:
                    g_W_enc.zero_()
                else:
                    g_W_enc.scatter_(1, before.expand(d_in, -1), 0.0)
                g_W_enc.scatter_(1, active.expand(d_in, -1), cols_enc.T.contiguous())
        self._write_biases(i, g_b_dec_recon, latent, g_slot)

    def _write_biases(self, i: int, g_b_dec_recon: Tensor, latent: Tensor, g_slot: Tensor) -> None:
        """∂b_enc[j] = Σ g_slot over the slots of latent j; ∂b_dec = the recon part − W_enc ∂b_enc."""
        g_b_enc = self._grads["b_enc"][i]
        g_b_enc.zero_()
        g_b_enc.index_add_(0, latent, g_slot)
        W_enc_g = ops.matvec_sparse(self._params["W_enc"][i], g_b_enc)
        torch.sub(g_b_dec_recon, W_enc_g, out=self._grads["b_dec"][i])
