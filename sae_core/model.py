r"""The sparse autoencoder (SAE_NOTES.md, "The model").

    f  = act(W_encᵀ (x − b_dec) + b_enc)      W_enc: [d_in, d_sae]
    x̂  = W_decᵀ f + b_dec                     W_dec: [d_sae, d_in]  (row j = atom of latent j)

``act`` is the method's activation in the registry (:mod:`sae_core.methods`): ReLU, a sigmoid
(KL, contractive), TopK (the k largest ReLU outputs per sample), or a method's own encoder that
reads its extra per-latent parameters (JumpReLU's and BatchTopK's threshold [d_sae]). The maths lives in module-level functions that accept any number of leading
model dimensions, so a stacked sweep ([N, ...] weights) runs the very same code as one model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import torch
from torch import Tensor, nn

from sae_core import methods
from sae_core.config import SAEConfig
from sae_core.errors import RunError
from sae_core.topk import topk_rows

WEIGHT_NAMES: tuple[str, ...] = ("W_enc", "W_dec", "b_enc", "b_dec")
# Decoder rows' starting norm with a decoder-norm-scaled penalty (SAELens's standard SAE starts
# small, 0.1, so atoms grow to the scale the penalty and reconstruction agree on).
DECODER_NORM_INIT = 0.1
"""The four weights every model has; a method may add per-latent ones (:func:`weight_names`)."""


def weight_names(cfg: SAEConfig) -> tuple[str, ...]:
    """Every tensor a model of ``cfg`` saves: the four weights, then its method's extras."""
    return WEIGHT_NAMES + methods.get(cfg.method).extra_names


def compute_pre_acts(x: Tensor, W_enc: Tensor, b_enc: Tensor, b_dec: Tensor) -> Tensor:
    """x: [..., B, d_in] -> pre-activations [..., B, d_sae]."""
    return (x - b_dec.unsqueeze(-2)) @ W_enc + b_enc.unsqueeze(-2)


def activate(
    pre_acts: Tensor,
    cfg: SAEConfig,
    params: Mapping[str, Tensor] | None = None,
    *,
    training: bool = False,
) -> Tensor:
    """Apply the method's activation: [..., B, d_sae] -> latents [..., B, d_sae].

    ``params``: the method's extra parameters and ``b_enc`` {name: [..., d_sae]} (its encoder
    reads them);
    ``training``: the encoder runs inside a training step (BatchTopK then keeps the k·B largest
    of the batch, else applies its threshold).
    """
    method = methods.get(cfg.method)
    if method.encoder is not None:
        return method.encoder(pre_acts, params or {}, cfg, training)
    activation = method.activation
    if activation == "sigmoid":
        return torch.sigmoid(pre_acts)
    acts = torch.relu(pre_acts)
    if activation == "topk" and cfg.k < acts.shape[-1]:
        values, indices = topk_rows(acts, cfg.k)
        acts = torch.zeros_like(acts).scatter_(-1, indices, values)
    return acts


def decode_latents(latents: Tensor, W_dec: Tensor, b_dec: Tensor) -> Tensor:
    """latents: [..., B, d_sae] -> x_hat [..., B, d_in]."""
    return latents @ W_dec + b_dec.unsqueeze(-2)


@torch.no_grad()
def normalize_decoder_(W_dec: Tensor) -> Tensor:
    """Rescale each decoder row (atom) to unit L2 norm, in place: [..., d_sae, d_in]. Returns it.

    The one decoder normalisation: at initialisation, after every optimiser step of a
    ``unit_norm_decoder`` model, and in :meth:`SparseAutoencoder.normalize_decoder`.
    """
    return W_dec.div_(W_dec.norm(dim=-1, keepdim=True).clamp_min(1e-12))


def init_weights(
    cfg: SAEConfig, generator: torch.Generator, data_mean: Tensor | None = None
) -> dict[str, Tensor]:
    """Seeded initial weights (float32, CPU).

    Decoder rows are random directions scaled to norm 0.1·√(d_in / d_sae)·… kept simple: Kaiming-
    uniform like ``nn.Linear``, so unit-norm and free decoders start alike. With
    ``init_encoder_from_decoder`` the encoder starts as the decoder's transpose (SAELens).
    """
    bound = 1.0 / math.sqrt(cfg.d_in)
    W_dec = (torch.rand(cfg.d_sae, cfg.d_in, generator=generator) * 2 - 1) * bound
    if cfg.unit_norm_atoms:
        normalize_decoder_(W_dec)
    if cfg.decoder_norm_penalty:  # SAELens's standard SAE: small atoms, encoder = decoderᵀ
        normalize_decoder_(W_dec).mul_(DECODER_NORM_INIT)
    if cfg.init_encoder_from_decoder or cfg.tied or cfg.decoder_norm_penalty:
        W_enc = W_dec.t().clone()
    else:
        W_enc = (torch.rand(cfg.d_in, cfg.d_sae, generator=generator) * 2 - 1) * bound
    b_dec = torch.zeros(cfg.d_in)
    if cfg.init_b_dec_from_mean and data_mean is not None:
        b_dec = data_mean.detach().to(torch.float32).cpu().clone()
    weights = {"W_enc": W_enc, "W_dec": W_dec, "b_enc": torch.zeros(cfg.d_sae), "b_dec": b_dec}
    return weights | init_extra_params(cfg)


def init_extra_params(cfg: SAEConfig) -> dict[str, Tensor]:
    """The method's extra per-latent parameters at their initial values: {name: [d_sae]}."""
    return {
        p.name: torch.full((cfg.d_sae,), float(p.init(cfg)))
        for p in methods.get(cfg.method).extra_params
    }


class SparseAutoencoder(nn.Module):
    """One SAE. Parameters: ``W_dec`` [d_sae, d_in], ``W_enc`` [d_in, d_sae] (a view of W_decᵀ when
    tied), ``b_enc`` [d_sae], ``b_dec`` [d_in], and the method's extra per-latent tensors [d_sae]
    (``threshold``): parameters when trained by gradient, buffers otherwise."""

    def __init__(self, cfg: SAEConfig, weights: Mapping[str, Tensor] | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        if weights is None:
            weights = init_weights(cfg, torch.Generator().manual_seed(0))
        check_weight_shapes(cfg, weights)
        self.W_dec = nn.Parameter(weights["W_dec"].detach().to(torch.float32).clone())
        self._W_enc = (
            None if cfg.tied else nn.Parameter(weights["W_enc"].detach().to(torch.float32).clone())
        )
        self.b_enc = nn.Parameter(weights["b_enc"].detach().to(torch.float32).clone())
        self.b_dec = nn.Parameter(weights["b_dec"].detach().to(torch.float32).clone())
        self._method = methods.get(cfg.method)
        for extra in self._method.extra_params:
            value = weights[extra.name].detach().to(torch.float32).clone()
            if extra.trained:
                self.register_parameter(extra.name, nn.Parameter(value))
            else:
                self.register_buffer(extra.name, value)

    def extra_params(self) -> dict[str, Tensor]:
        """The method's extra per-latent tensors by name ({} for most methods)."""
        return {name: getattr(self, name) for name in self._method.extra_names}

    @property
    def W_enc(self) -> Tensor:
        return self.W_dec.t() if self._W_enc is None else self._W_enc

    @property
    def device(self) -> torch.device:
        return self.W_dec.device

    def _as_weights(self, x: Tensor, width: int, what: str) -> Tensor:
        """``x`` [B, width] or [width] on the weights' dtype and device (SAELens accepts any)."""
        if x.ndim not in (1, 2) or x.shape[-1] != width:
            raise ValueError(
                f"{what} must be [batch, {width}] or one sample [{width}], got {list(x.shape)}"
            )
        return x.to(device=self.W_dec.device, dtype=self.W_dec.dtype)

    @staticmethod
    def _like(out: Tensor, x: Tensor) -> Tensor:
        """``out`` back on ``x``'s device and float dtype, and 1-D when ``x`` was one sample."""
        out = out.to(device=x.device, dtype=x.dtype if x.is_floating_point() else out.dtype)
        return out.squeeze(0) if x.ndim == 1 else out

    def pre_acts(self, x: Tensor) -> Tensor:
        """x: [B, d_in] -> [B, d_sae] before the activation."""
        return compute_pre_acts(x, self.W_enc, self.b_enc, self.b_dec)

    def _encode(self, x: Tensor) -> Tensor:
        params = {**self.extra_params(), "b_enc": self.b_enc}  # Gated's magnitude path reads b_enc
        return activate(self.pre_acts(x), self.cfg, params)

    def encode(self, x: Tensor) -> Tensor:
        """x: [B, d_in] (or one sample [d_in]) -> latents f [B, d_sae] (or [d_sae]).

        Any dtype and device: ``x`` is computed in the weights' dtype on their device and the
        result comes back in ``x``'s float dtype and device.
        """
        return self._like(self._encode(self._as_weights(x, self.cfg.d_in, "x")), x)

    def decode(self, latents: Tensor) -> Tensor:
        """latents: [B, d_sae] (or [d_sae]) -> x_hat [B, d_in] (or [d_in]); any dtype/device."""
        f = self._as_weights(latents, self.cfg.d_sae, "latents")
        return self._like(decode_latents(f, self.W_dec, self.b_dec), latents)

    def forward(self, x: Tensor) -> Tensor:
        """x: [B, d_in] -> x_hat [B, d_in]; equals ``decode(encode(x))``; any dtype/device."""
        f = self._encode(self._as_weights(x, self.cfg.d_in, "x"))
        return self._like(decode_latents(f, self.W_dec, self.b_dec), x)

    @torch.no_grad()
    def normalize_decoder(self) -> None:
        """Rescale each decoder row (atom) to unit L2 norm."""
        normalize_decoder_(self.W_dec)

    def weights(self) -> dict[str, Tensor]:
        """Detached float32 contiguous CPU copies in the file layout (W_enc even when tied)."""
        return {
            name: getattr(self, name).detach().to("cpu", torch.float32).contiguous().clone()
            for name in weight_names(self.cfg)
        }

    def _matrix(self, x: np.ndarray) -> np.ndarray:
        """``x`` as [n, d_in]: one sample [d_in] becomes [1, d_in]; other shapes are refused."""
        x = np.asarray(x)
        if x.ndim == 1 and x.shape[0] == self.cfg.d_in:
            return x[None, :]
        if x.ndim != 2 or x.shape[1] != self.cfg.d_in:
            raise ValueError(
                f"x must be [n, {self.cfg.d_in}] or one sample [{self.cfg.d_in}], "
                f"got shape {list(x.shape)}"
            )
        return x

    @torch.no_grad()
    def encode_numpy(self, x: np.ndarray, chunk: int = 4096) -> np.ndarray:
        """Encode a whole matrix in chunks (large fresh tensors page-fault; RECIPES.md).

        x: [n, d_in] -> latents [n, d_sae] float32 numpy; one sample [d_in] -> [d_sae].
        """
        one = np.ndim(x) == 1
        x = self._matrix(x)
        out = np.empty((x.shape[0], self.cfg.d_sae), dtype=np.float32)
        for start in range(0, x.shape[0], chunk):
            xb = torch.as_tensor(x[start : start + chunk], dtype=torch.float32, device=self.device)
            out[start : start + chunk] = self.encode(xb).cpu().numpy()
        return out[0] if one else out

    @torch.no_grad()
    def reconstruct_numpy(self, x: np.ndarray, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
        """x: [n, d_in] -> (latents [n, d_sae], x_hat [n, d_in]) float32 numpy, chunked."""
        x = self._matrix(x)
        latents = np.empty((x.shape[0], self.cfg.d_sae), dtype=np.float32)
        x_hat = np.empty((x.shape[0], self.cfg.d_in), dtype=np.float32)
        for start in range(0, x.shape[0], chunk):
            xb = torch.as_tensor(x[start : start + chunk], dtype=torch.float32, device=self.device)
            f = self.encode(xb)
            latents[start : start + chunk] = f.cpu().numpy()
            x_hat[start : start + chunk] = self.decode(f).cpu().numpy()
        return latents, x_hat


def check_weight_shapes(cfg: SAEConfig, weights: Mapping[str, Tensor]) -> None:
    """Raise RunError if ``weights`` lacks a tensor or a shape disagrees with ``cfg``."""
    for name, shape in expected_shapes(cfg).items():
        if name == "W_enc" and cfg.tied and name not in weights:
            continue
        if name not in weights:
            raise RunError(
                f"weights are missing tensor {name!r}: the file is incomplete or not ours"
            )
        got = tuple(weights[name].shape)
        if got != shape:
            raise RunError(
                f"tensor {name} has shape {list(got)} but the config says {list(shape)} "
                f"(d_in={cfg.d_in}, d_sae={cfg.d_sae}): the weights and config do not belong together"
            )
        if not torch.isfinite(weights[name]).all():
            raise RunError(f"tensor {name} holds NaN or infinite values: the file is corrupt")


def expected_shapes(cfg: SAEConfig) -> dict[str, tuple[int, ...]]:
    """Every tensor's shape for ``cfg``: the four weights and the method's extras [d_sae]."""
    shapes: dict[str, tuple[int, ...]] = {
        "W_enc": (cfg.d_in, cfg.d_sae),
        "W_dec": (cfg.d_sae, cfg.d_in),
        "b_enc": (cfg.d_sae,),
        "b_dec": (cfg.d_in,),
    }
    return shapes | {name: (cfg.d_sae,) for name in methods.get(cfg.method).extra_names}
