"""The window's File, View and Help menus. Every checkable entry shows the state and changes it only through the
state (colour mode, theme, labels, density, sizes, edges, predicted colours); the entries follow the state when
something else changes it."""

from __future__ import annotations

from PySide6.QtGui import QActionGroup, QKeySequence

from hubatlas.core.common.fields import MODES
from hubatlas.viewer._qt import menus, record_history, view_actions

MODE_KEYS = {m: str(i + 1) for i, m in enumerate(MODES)}
TOGGLES = (  # state field, menu text, key, tip
    ("size_by_downloads", "Size by downloads", "S", "Draw models with more downloads bigger"),
    (
        "show_all_edges",
        "Lineage edges in view",
        "E",
        "Draw the lineage edges in view, coloured by relation (inferred edges paler)",
    ),
    ("labels", "Labels", "L", "Name regions, families and (zoomed in) models"),
    ("density", "Density shading", "D", "Shade where models are dense"),
)


def build(w) -> None:
    """Add the menus to the MainWindow ``w`` (its state, canvas, panels and actions)."""
    _file_menu(w)
    _view_menu(w)
    h = w.menuBar().addMenu("&Help")
    menus.action(w, h, "Keyboard shortcuts", w.show_shortcuts, "F1")
    menus.action(w, h, "About hubatlas", w.show_about)
    _reflect(w, set(MODES) | {"mode", "theme", "show_predicted", *w.toggle_actions})
    w.views.append(_Follow(w.state, lambda names: _reflect(w, names)))


def _file_menu(w) -> None:
    action = menus.action
    f = w.menuBar().addMenu("&File")
    action(w, f, "Export image…", w.export_dialog, "Ctrl+E", tip="Save a picture of the map")
    action(
        w,
        f,
        "Quick export (2×)",
        w.quick_export,
        "Ctrl+Shift+E",
        tip="Save the current view at twice the window size next to the last export",
    )
    f.addSeparator()
    action(w, f, "Save view…", lambda: view_actions.save_view(w), "Ctrl+S", tip="Keep this view in a file")
    action(w, f, "Open view…", lambda: view_actions.open_view(w), "Ctrl+Shift+O", tip="Show a saved view")
    action(
        w,
        f,
        "Open view from clipboard",
        lambda: view_actions.paste_view(w),
        "Ctrl+Shift+V",
        tip="Show the view copied with View › Copy view",
    )
    f.addSeparator()
    action(w, f, "Quit", w.close, QKeySequence.Quit)


def _view_menu(w) -> None:
    state, action = w.state, menus.action
    v = w.menuBar().addMenu("&View")
    action(w, v, "Find…", lambda: (w.search.setFocus(), w.search.selectAll()), QKeySequence.Find)
    action(w, v, "Zoom in", lambda: w.atlas.zoom(0.7), ["+", "=", "Ctrl++"])
    action(w, v, "Zoom out", lambda: w.atlas.zoom(1 / 0.7), ["-", "Ctrl+-"])
    action(w, v, "Reset view", w.atlas.reset_view, ["Home", "Ctrl+0"])
    v.addSeparator()
    cm = v.addMenu("Colour by")
    group = QActionGroup(w)
    w.mode_actions = {}
    for mode, label in MODES.items():
        a = action(w, cm, label, lambda _=False, m=mode: state.color_by(m), MODE_KEYS[mode], checkable=True)
        group.addAction(a)
        w.mode_actions[mode] = a
    w.toggle_actions = {}
    for name, text, key, tip in TOGGLES:
        w.toggle_actions[name] = action(
            w, v, text, lambda on, n=name: state.update(**{n: bool(on)}), key, checkable=True, tip=tip
        )
    w.size_action, w.edges_action = w.toggle_actions["size_by_downloads"], w.toggle_actions["show_all_edges"]
    w.predicted_action = action(
        w,
        v,
        "Colour predicted values",
        lambda on: _show_predicted(w, on),
        "P",
        checkable=True,
        tip="Colour models without a documented value by their predicted one, paler",
    )
    w.predicted_action.setEnabled(w.model.predictions is not None)
    v.addAction(w.family_dock.toggleViewAction())
    t = w.trends_dock.toggleViewAction()
    t.setShortcut(QKeySequence("T"))
    v.addAction(t)
    tm = v.addMenu("Theme")
    tg = QActionGroup(w)
    w.theme_actions = {}
    for name in ("dark", "light"):
        a = action(w, tm, name.title(), lambda _=False, t=name: state.update(theme=t), checkable=True)
        tg.addAction(a)
        w.theme_actions[name] = a
    _history_and_selection(w, v)


def _history_and_selection(w, v) -> None:
    action = menus.action
    action(
        w,
        v,
        "Play history",
        lambda: w.filters.toggle_play(),
        "Space",
        tip="Replay the Hub's growth month by month (the 'As of' filter)",
    )
    action(
        w,
        v,
        "Record history…",
        lambda: record_history.record_history(w),
        "Ctrl+R",
        tip="Save the Hub's growth, month by month, as an animated GIF, WebP or MP4",
    )
    action(
        w,
        v,
        "Clear selection",
        w.escape,
        "Esc",
        tip="Clear the selection (in the search box: back to the map)",
    )
    action(
        w,
        v,
        "Copy view",
        lambda: view_actions.copy_view(w),
        "Ctrl+Shift+C",
        tip="Copy this view as one line of text to send (File › Open view from clipboard shows it)",
    )
    action(
        w,
        v,
        "Copy model id",
        w.copy_selected_id,
        QKeySequence.Copy,
        tip="Copy the selected model's id to the clipboard",
    )


def _show_predicted(w, on: bool) -> None:
    if on and w.model.predictions is None:
        w.statusBar().showMessage("No predictions for this atlas: run `hubatlas predict`", 6000)
        w.predicted_action.setChecked(False)
        return
    w.state.show_predictions(on)


def _reflect(w, changed: set[str]) -> None:
    """The menu's check marks as the state has them."""
    st = w.state
    if "mode" in changed:
        w.mode_actions[st.mode].setChecked(True)
    if "theme" in changed and st.theme in w.theme_actions:
        w.theme_actions[st.theme].setChecked(True)
    if "show_predicted" in changed:
        w.predicted_action.setChecked(bool(st.show_predicted))
    for name, a in w.toggle_actions.items():
        if name in changed:
            a.setChecked(bool(getattr(st, name)))


class _Follow:
    def __init__(self, state, callback):
        self._unsubscribe = state.on_change(callback)

    def close_views(self) -> None:
        self._unsubscribe()
