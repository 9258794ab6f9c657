"""Shareable set-ups: every control that defines an experiment lives in the URL query.

On a session's first run :func:`apply_url_once` reads the link: valid values seed the Train
page's widgets (through the shadow keys of :mod:`sae_core.ui.keep`, as if the user had set them),
the rest become one notice. Every run :func:`sync_url` writes the controls' values back (only those
that differ from their defaults), so the address bar always holds the current set-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from sae_core.analysis.recovery import LATENT_SORTS
from sae_core.app.link import (
    GROUPS,
    Field,
    Teacher,
    encode_setup,
    encode_teacher,
    is_valid,
    parse_setup,
    query_string,
)
from sae_core.config import DEAD_REMEDIES, METHODS, SAEConfig, TrainConfig
from sae_core.data import SOURCES
from sae_core.data.synthetic import MAGNITUDES
from sae_core.figures import ATOM_ORDERS
from sae_core.figures.sparsity import LATENT_ORDERS
from sae_core.ui.config_form import (
    BATCH_GRID,
    D_SAE_GRID,
    K_MAX,
    LAM_GRID,
    LR_GRID,
    WEIGHT_DECAY_GRID,
)
from sae_core.ui.data_picker import (
    DEFAULT_TEST_FRACTION,
    DEFAULT_WHITEN_EPS,
    FOLDER_ENV,
    FOLDER_SOURCES,
    N_PATCHES,
    PATCH_SIZES,
    PREPROCESS_CHOICES,
    SAMPLE_CAPS,
    TEST_FRACTIONS,
    WHITEN_EPS_GRID,
    WHITENINGS,
)
from sae_core.ui.keep import SHADOW_PREFIX
from sae_core.ui.page_controls import (
    FILTER_WEIGHTS,
    GT_DEFAULT_THRESHOLD,
    GT_THRESHOLD_RANGE,
    HEATMAP_DEFAULT_ROWS,
    HEATMAP_MAX_ROWS,
    HEATMAP_MIN_ROWS,
    RECON_DEFAULT_SHOWN,
    RECON_MAX_SHOWN,
    RECON_MODES,
    UNIT_CHOICES,
)
from sae_core.ui.teacher import GROUP_LABELS, current_teacher, set_teacher

PAGE_NAMES = (
    "home",
    "train",
    "reconstructions",
    "activations",
    "filters",
    "compare",
    "ground_truth",
    "learn",
)
APPLIED_KEY = "_url_applied"  # set once the link has been read in this session
NOTICE_KEY = "_url_notices"  # what the link had that was ignored or adjusted, shown once
PENALTY_METHODS = tuple(m for m in METHODS if m not in ("none", "topk"))


def _f(name: str, key: str, kind: str, default: Any, **extra: Any) -> Field:
    return Field(name=name, key=key, kind=kind, default=default, **extra)


def _data_fields() -> tuple[Field, ...]:
    def src(*names: str) -> tuple[str, tuple[Any, ...]]:
        return ("src", names)

    def folder(name: str, source: str) -> Field:
        env = FOLDER_ENV.get(source)
        default = os.environ.get(env, "") if env else ""
        return _f(name, f"train_folder_{source}", "text", default, when=src(source))

    patches, synthetic, folders = src("patches"), src("synthetic"), src(*FOLDER_SOURCES)
    return (
        _f("src", "train_source", "choice", "digits", choices=tuple(SOURCES)),
        _f("ps", "train_patch_size", "grid", 8, choices=PATCH_SIZES, when=patches),
        _f("wh", "train_whitening", "choice", "none", choices=WHITENINGS, when=patches),
        _f("np", "train_n_patches", "grid", 10_000, choices=N_PATCHES, when=patches),
        _f(
            "eps",
            "train_whiten_eps",
            "grid",
            DEFAULT_WHITEN_EPS,
            choices=WHITEN_EPS_GRID,
            when=("wh", ("zca", "pca")),
        ),
        _f("nf", "train_n_features", "int", 64, lo=1, hi=4096, when=synthetic),
        _f("din", "train_syn_d_in", "int", 32, lo=1, hi=4096, when=synthetic),
        _f("act", "train_mean_active", "float", 4.0, lo=0.1, hi=4096.0, when=synthetic),
        _f("noise", "train_noise", "float", 0.0, lo=0.0, hi=10.0, when=synthetic),
        _f("ns", "train_n_samples", "int", 8192, lo=16, hi=200_000, when=synthetic),
        _f("dseed", "train_data_seed", "int", 0, lo=0, hi=2**31 - 1, when=synthetic),
        folder("mdir", "mnist"),
        folder("fdir", "fashion-mnist"),
        folder("idir", "idx"),
        _f("cap", "train_max_samples", "grid", 10_000, choices=SAMPLE_CAPS, when=folders),
        _f("dl", "train_download", "bool", False, when=src(*FOLDER_ENV)),
        _f("lbl", "train_label_column", "text", "", when=src("file")),
        _f("shape", "train_image_shape", "text", "", when=src("file")),
        _f("pre", "train_preprocess", "choice", "default", choices=tuple(PREPROCESS_CHOICES)),
        _f("mag", "train_magnitude", "choice", MAGNITUDES[0], choices=MAGNITUDES, when=synthetic),
        _f(
            "tf",
            "train_test_fraction",
            "grid",
            DEFAULT_TEST_FRACTION,
            choices=TEST_FRACTIONS,
            when=src(*(s for s in SOURCES if s not in FOLDER_ENV)),
        ),
        _f(
            "ss",
            "train_split_seed",
            "int",
            0,
            lo=0,
            hi=2**31 - 1,
            when=src(*(s for s in SOURCES if s != "synthetic")),
        ),
    )


def _model_fields() -> tuple[Field, ...]:
    sae, train = SAEConfig(d_in=1), TrainConfig()
    kl = ("method", ("kl",))
    return (
        _f("method", "train_method", "choice", sae.method, choices=METHODS),
        _f("lam", "train_lam", "grid", sae.lam, choices=LAM_GRID, when=("method", PENALTY_METHODS)),
        _f("k", "train_k", "int", sae.k, lo=1, hi=K_MAX, when=("method", ("topk",))),
        _f("rho", "train_rho", "float", sae.rho, lo=0.001, hi=0.5, decimals=3, when=kl),
        _f("h", "train_d_sae", "grid", sae.d_sae, choices=D_SAE_GRID),
        _f("ep", "train_epochs", "int", train.epochs, lo=1, hi=1000),
        _f("seed", "train_seed", "int", train.seed, lo=0, hi=2**31 - 1),
        _f("lr", "train_lr", "grid", train.lr, choices=LR_GRID),
        _f("bs", "train_batch", "grid", train.batch_size, choices=BATCH_GRID),
        _f("tied", "train_tied", "bool", sae.tied),
        _f("unit", "train_unit_norm", "bool", sae.unit_norm_decoder),
        _f("einit", "train_enc_init", "bool", sae.init_encoder_from_decoder),
        _f("binit", "train_bdec_init", "bool", sae.init_b_dec_from_mean),
        _f("wd", "train_wd", "grid", sae.weight_decay, choices=WEIGHT_DECAY_GRID),
        _f("warm", "train_warmup", "int", train.lam_warmup_steps, lo=0, hi=100_000),
        _f("dead", "train_dead", "choice", train.dead_remedy, choices=DEAD_REMEDIES),
    )


def _page_fields() -> tuple[Field, ...]:
    """The analysis pages' controls, written only while that page is open (``?page=filters&lat=17``).

    A default the page works out from the model (the most frequent latent) is -1 here, never
    written: absent from a link, the page chooses; a latent past d_sae is clamped by the page.
    """

    def on(name: str) -> tuple[str, tuple[str, ...]]:
        return ("page", (name,))

    recon, filters, acts, gt = (
        on("reconstructions"),
        on("filters"),
        on("activations"),
        on("ground_truth"),
    )
    big = 2**31 - 1
    lo, hi = GT_THRESHOLD_RANGE
    return (
        _f("rm", "recon_mode", "choice", "random", choices=tuple(RECON_MODES), when=recon),
        _f("rn", "recon_n", "int", RECON_DEFAULT_SHOWN, lo=1, hi=RECON_MAX_SHOWN, when=recon),
        _f("rs", "recon_seed", "int", 0, lo=0, hi=big, when=recon),
        _f("ru", "recon_units", "choice", "original", choices=tuple(UNIT_CHOICES), when=recon),
        _f("fw", "filt_weights", "choice", FILTER_WEIGHTS[0], choices=FILTER_WEIGHTS, when=filters),
        _f("fo", "filt_order", "choice", "frequency", choices=ATOM_ORDERS, when=filters),
        _f("fp", "filt_page", "int", 1, lo=1, hi=big, when=filters),
        _f("lat", "filt_latent", "int", -1, lo=0, hi=big, when=filters),
        _f("fs", "filt_sort", "choice", "frequency", choices=LATENT_SORTS, when=filters),
        _f("fd", "filt_desc", "bool", True, when=filters),
        _f("alog", "act_log_y", "bool", False, when=acts),
        _f(
            "arows",
            "act_heat_samples",
            "int",
            HEATMAP_DEFAULT_ROWS,
            lo=HEATMAP_MIN_ROWS,
            hi=HEATMAP_MAX_ROWS,
            when=acts,
        ),
        _f("aord", "act_heat_order", "choice", "frequency", choices=LATENT_ORDERS, when=acts),
        _f("thr", "gt_threshold", "float", GT_DEFAULT_THRESHOLD, lo=lo, hi=hi, decimals=2, when=gt),
    )


def setup_fields(pages: tuple[str, ...] = PAGE_NAMES) -> tuple[Field, ...]:
    """The app's URL registry: the page, then data, model and training controls, then the
    analysis pages' own controls."""
    page = Field(name="page", key="", kind="choice", default=pages[0], choices=pages)
    return (page, *_data_fields(), *_model_fields(), *_page_fields())


def current_values(fields: tuple[Field, ...]) -> dict[str, Any]:
    """Each control's value now: the drawn widget's, else the remembered one, else the default."""
    state = st.session_state
    values: dict[str, Any] = {}
    for f in fields:
        if not f.key:
            continue
        value = state[f.key] if f.key in state else state.get(SHADOW_PREFIX + f.key, f.default)
        if is_valid(f, value):
            values[f.name] = value
    return values


def apply_url_once(current: str, pages: tuple[str, ...] = PAGE_NAMES) -> None:
    """First run of a session: seed the controls from the link and open the page it names."""
    if st.session_state.get(APPLIED_KEY):
        return
    st.session_state[APPLIED_KEY] = True
    fields = setup_fields(pages)
    parsed = parse_setup(st.query_params.to_dict(), fields)
    for f in fields:
        if f.key and f.name in parsed.values:
            st.session_state[SHADOW_PREFIX + f.key] = parsed.values[f.name]
    set_teacher(parsed.teacher)
    if parsed.notices:
        st.session_state[NOTICE_KEY] = parsed.notices
    target = parsed.values.get("page")
    if target is not None and target != current:
        st.switch_page(f"app_pages/{target}.py")


def sync_url(current: str, pages: tuple[str, ...] = PAGE_NAMES) -> dict[str, str]:
    """Write the current set-up into the address bar (when it changed); return its query.

    app.py calls it before each page; the Train page again after its controls, so a change made
    there is in the address at once.
    """
    fields = setup_fields(pages)
    values = {**current_values(fields), "page": current}
    params = encode_setup(values, fields, current_teacher())
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    return params


def show_url_notices() -> None:
    """Once: what the opened link had that was ignored or adjusted."""
    notices = st.session_state.pop(NOTICE_KEY, None)
    if notices:
        st.warning(
            "Some settings in the link were ignored or adjusted: " + "; ".join(notices) + ".",
            icon=":material/link_off:",
        )


def share_link(params: Mapping[str, str]) -> str:
    """The full link where the browser's address is known, else ``?query`` to append to it."""
    query = query_string(params)
    base = st.context.url or ""
    return f"{base}?{query}" if query else (base or "?")


def _teacher_link(params: Mapping[str, str]) -> str:
    shown = st.multiselect(
        "Teacher link: what students see and may change",
        GROUPS,
        default=["lam", "explain"],
        format_func=lambda g: GROUP_LABELS[g],
        key="share_students",
    )
    teacher = Teacher(enabled=True, hidden=frozenset(GROUPS) - set(shown))
    plain = {k: v for k, v in params.items() if k not in ("teacher", "hide", "only")}
    return share_link({**plain, "page": "train", **encode_teacher(teacher)})


def render_share(params: Mapping[str, str]) -> None:
    """The sidebar's "Share this set-up": the link to copy and a teacher-link builder."""
    with st.sidebar.expander("Share this set-up", icon=":material/link:"):
        st.code(share_link(params), language=None, wrap_lines=True)
        where = "" if st.context.url else " Append it to the app's address (after the page path)."
        st.caption(
            "Copy it with the button at its top right: the link opens this page with the same "
            "data, method and settings; with the same seed, Train gives the same metrics. "
            "Uploaded files are not part of a link." + where
        )
        if not current_teacher().enabled:
            st.code(_teacher_link(params), language=None, wrap_lines=True)
            st.caption("Hand this to students: the Train page shows only what you picked.")
