"""Rendering layer (VisPy only, no Qt widgets): usable headless for export, tests and benchmarks."""
