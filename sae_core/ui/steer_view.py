"""Ablate or steer a latent on its card: the network's predicted class on its top samples.

Only for a network's activations (a Dataset with a readout): latent j is scaled by a factor
(0 switches it off), x̂ is spliced into the network in place of the layer, and the card says how
many of the latent's top samples change class (:mod:`sae_core.analysis.steer`).
"""

from __future__ import annotations

import streamlit as st

from sae_core.analysis.latents import top_activating
from sae_core.analysis.steer import changed_count, steer_latent
from sae_core.ui.keep import kept
from sae_core.ui.state import Current

N_STEER = 16  # the card's top samples (latent_view.N_TOP)
STEER_HELP = (
    "Scale this latent's activation by the factor, decode, and run the rest of the network on "
    "the changed reconstruction: 0 switches the latent off, 1 leaves it, above 1 steers towards "
    "its atom."
)


def render_steer(current: Current, j: int) -> None:
    """The factor slider (key ``filt_steer``), a summary line and the before/after table."""
    dataset = current.dataset
    if dataset.readout is None:
        return
    st.markdown("**Ablate or steer this latent**")
    factor = kept(
        st.slider,
        "Scale the latent by",
        key="filt_steer",
        default=0.0,
        min_value=0.0,
        max_value=5.0,
        step=0.25,
        help=STEER_HELP,
    )
    top = top_activating(current.latents, j, n=N_STEER)["sample"].to_numpy()
    if len(top) == 0:
        st.caption("The latent never fires on the test samples: nothing to change.")
        return
    table = steer_latent(
        dataset.readout,
        current.latents,
        current.x_hat,
        current.W_dec,
        j,
        top,
        float(factor),
        labels=dataset.y_test,
        to_raw=dataset.preprocessing.to_raw,
    )
    n = changed_count(table)
    what = "switched off" if factor == 0 else f"scaled by {float(factor):g}"
    st.caption(
        f"With latent #{j} {what}, {n} of its {len(table)} top samples change predicted class "
        "(x̂ spliced into the network in place of the layer)."
    )
    if dataset.y_test is None:
        table = table.drop(columns="label")
    st.dataframe(
        table.rename(
            columns={
                "predicted_sae": "predicted with SAE",
                "predicted_changed": "predicted, latent changed",
            }
        ),
        key="filt_steer_table",
        hide_index=True,
        height=240,
    )
