"""hubatlas.viewer: the desktop front end (VisPy rendering, PySide6 window). Heavy imports stay in submodules."""
