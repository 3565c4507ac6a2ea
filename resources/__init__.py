"""Package data of hubatlas (read with importlib.resources through hubatlas.core.common.paths): the app
icon, the Linux desktop entry and the real demo atlas sources with their provenance."""
