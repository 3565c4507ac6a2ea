"""The `hubatlas` command line: shared options and helpers, the store, layout and analysis commands, and
the parser that joins them (the viewer adds its commands on top)."""
