"""Between the app's models and saved runs: save a :class:`Current`, load a run as one, bytes.

A saved run records its data by label (``digits``, ``mnist:/folder``, an upload's file name) and, in
``extra``, the spec, source options and upload name, so loading it again rebuilds the same split.
Uploads load only while the same file is still uploaded in the session.
"""

from __future__ import annotations

from sae_core.analysis.metrics import evaluate
from sae_core.errors import RunError
from sae_core.runs import LoadedRun, check_run_compatible, load_run, model_bytes, save_run
from sae_core.ui import downloads
from sae_core.ui.server_cache import record_saved
from sae_core.ui.state import AppState, Current, DataChoice, load_choice, make_choice


def save_current(state: AppState, current: Current, name: str | None = None) -> str:
    """Save ``current`` as a run (a default name when ``name`` is blank); returns the run name.

    The session's row of that model is renamed to the run's name.
    """
    path = save_run(
        current.model,
        current.train_config,
        name=(name or "").strip() or None,
        **downloads.run_info(current),
    )
    current.saved_as = path.name
    record_saved(current)
    for row in state.session_runs:
        if row["id"] == current.id:
            row["name"] = path.name
    return path.name


def current_bytes(current: Current) -> bytes:
    """A zip of the run folder ``current`` would be saved as (for a download button)."""
    return model_bytes(current.model, current.train_config, **downloads.run_info(current))


def loaded_bytes(loaded: LoadedRun) -> bytes:
    """A zip of a saved run's files, rebuilt from what was loaded."""
    return model_bytes(
        loaded.model,
        loaded.train_config,
        metrics=loaded.metrics,
        history=loaded.history,
        data_name=loaded.data_name,
        train_seconds=loaded.train_seconds,
        extra=loaded.extra,
    )


def choice_for_run(loaded: LoadedRun) -> DataChoice:
    """The data a run was trained on, as a :class:`DataChoice` (RunError if none was recorded)."""
    extra = loaded.extra
    options = extra.get("data_options")
    spec = extra.get("data_spec") or loaded.data_name.strip()
    if not isinstance(spec, str) or not spec:
        raise RunError(
            f"run {loaded.name!r} does not record its data: it cannot be loaded as the "
            "current model; train a new model instead"
        )
    upload = extra.get("upload_name")
    digest = extra.get("upload_digest")
    return make_choice(
        spec,
        upload_name=upload if isinstance(upload, str) else None,
        upload_digest=digest if isinstance(digest, str) else None,
        **(options if isinstance(options, dict) else {}),
    )


def current_from_run(loaded: LoadedRun) -> Current:
    """A :class:`Current` for a saved run on its own data, evaluated on that data's test split.

    Raises DataError when the data cannot be loaded and RunError when its width differs.
    """
    choice = choice_for_run(loaded)
    dataset = load_choice(choice)
    check_run_compatible(loaded, dataset.d_in)
    history = loaded.history
    steps = int(history["step"].max()) if "step" in history and len(history) else 0
    return Current(
        data=choice,
        dataset=dataset,
        sae_config=loaded.sae_config,
        train_config=loaded.train_config,
        model=loaded.model,
        history=history,
        metrics=evaluate(loaded.model, dataset, probe=True),
        train_seconds=loaded.train_seconds or 0.0,
        steps=steps,
        finished=True,
        saved_as=loaded.name,
        setup_digest=_text(loaded.extra.get("setup_digest")),  # its set-up, if recorded
        link_key=_text(loaded.extra.get("link_key")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def load_current(name: str) -> Current:
    """Load saved run ``name`` as a :class:`Current` (see :func:`current_from_run`)."""
    return current_from_run(load_run(name))
