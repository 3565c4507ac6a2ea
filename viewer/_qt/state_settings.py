"""The state's choices that persist between sessions (colour mode, theme, labels, density, predicted colours),
read from the user's settings when a window opens and written whenever the state changes them."""

from __future__ import annotations

from hubatlas.core.common.fields import MODES
from hubatlas.viewer._qt.settings import settings
from hubatlas.viewer.layers.atlas_state import THEMES, AtlasState

PERSISTED = {
    "mode": "color_mode",
    "theme": "theme",
    "labels": "labels",
    "density": "density",
    "show_predicted": "show_predicted",
}


def state_from_settings(has_predictions: bool) -> AtlasState:
    """A new state with the last session's choices (unknown or damaged values fall back to the defaults)."""
    s = settings()
    mode = str(s.value("color_mode", "modality"))
    theme = str(s.value("theme", "dark"))
    return AtlasState(
        mode=mode if mode in MODES else "modality",
        theme=theme if theme in THEMES else "dark",
        labels=s.value("labels", True, type=bool),
        density=s.value("density", False, type=bool),
        # every model coloured by default: undocumented values by their prediction, paler
        show_predicted=has_predictions and s.value("show_predicted", True, type=bool),
    )


def persist(state: AtlasState):
    """Write the persisted fields whenever they change; returns what undoes the subscription."""

    def follow(changed: set[str]) -> None:
        s = settings()
        for field in changed & set(PERSISTED):
            s.setValue(PERSISTED[field], getattr(state, field))

    return state.on_change(follow)
