"""The app's persistent settings (an INI file in the user's config directory)."""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORG, APP = "hubatlas", "hubatlas"


def settings() -> QSettings:
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORG, APP)
