"""The PySide6 desktop window around the VisPy canvas."""
