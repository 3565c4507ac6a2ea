"""Every size threshold and cap of the viewer, in one place. The viewer reads them from this module when it
uses them (never copies them into default arguments), so a test can lower one and open an atlas above it;
``THRESHOLDS`` lists the ones that change behaviour with the atlas's size, for tests that must go above each.
No Qt, no GL."""

from __future__ import annotations

# -- level of detail (viewer._vispy.detail) --------------------------------------------------------------------
FRAME_BUDGET_MS = 30.0  # the gesture sample is sized to draw in this time
START_SAMPLE = 50_000  # points drawn while the camera moves, until real frames have been measured
MIN_SAMPLE = 20_000  # never fewer while moving; atlases at or below this are always drawn in full
HIDDEN_BOOST = 3.0  # at most this many times the sample when the state hides most points
FINISH_EVERY = 4  # once measured, one moving frame in this many is timed to completion
MEASURE_FRAMES = 3  # moving frames timed to completion before the sample size counts as measured
FULL_DETAIL_SHARE = 0.5  # at rest, a view holding this share of the buffer draws the whole buffer
SHOWN_FRACTION_SAMPLE = 4096  # nodes of the buffer's head that estimate the share the state shows
CHUNK = 8192  # the priority order is drawn in chunks of this many points (lod.py)

# -- overlays (viewer._vispy.overlays) ---------------------------------------------------------------------------
EDGE_BUDGET = 50_000  # lineage edges in view drawn at most (the most prominent first)
FAMILY_MARKERS = 50_000  # family members outlined around a selected model
LINEAGE_EDGES = 20_000  # ancestor and descendant edges of a selected model
LINEAGE_DRAWN = 1_500  # segments (edges or bundles of them) of a selection's lineage drawn in one view
FAMILY_RINGS = 300  # family members ringed in one view at most (the most prominent in view first)
SELECTION_LINEAGE = 5_000  # lineage edges drawn for a region selection (the most prominent models' first)

# -- labels (viewer.layers.labels) ---------------------------------------------------------------------------------
LABELS_DRAWN = 60  # labels drawn in one view at most
LABELS_TRIED = 600  # candidates tried per view, in priority order

# -- panels ------------------------------------------------------------------------------------------------------
CHILDREN_SHOWN = 500  # a family row's children listed (grouped by relation); the rest "… more"
FILTER_VALUES = 200  # values listed in a filter's dropdown (the most frequent first)

THRESHOLDS = {  # name -> what crosses it (a number of models, edges or labels)
    "MIN_SAMPLE": "models: above it, moving frames draw a sample",
    "START_SAMPLE": "models: above it, the first moving frames draw a prefix",
    "SHOWN_FRACTION_SAMPLE": "models: above it, the shown share is estimated on a sample",
    "CHUNK": "models: above it, the sample is cut at whole chunks",
    "EDGE_BUDGET": "edges in view: above it, the overlay draws the most prominent",
    "FAMILY_MARKERS": "models in a family: above it, the outline is capped",
    "LINEAGE_EDGES": "edges of a lineage: above it, the walk stops",
    "LINEAGE_DRAWN": "segments of a lineage in view: above it, the fullest bundles are drawn",
    "FAMILY_RINGS": "family members in view: above it, the most prominent are ringed",
    "LABELS_DRAWN": "labels in a view: above it, the rest wait for a closer zoom",
    "CHILDREN_SHOWN": "children of a model: above it, the family row says how many more",
    "FILTER_VALUES": "values of a field: above it, the filter lists the most frequent",
}
