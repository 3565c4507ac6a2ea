"""The viewer's model tier (as napari's ``layers``): what the atlas shows and what is known about a model,
with no Qt and no OpenGL. The render tier (``_vispy``) follows it; the widgets (``_qt``) edit it."""
