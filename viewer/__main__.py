"""``python -m hubatlas.viewer`` and the frozen app's entry point (absolute imports: PyInstaller runs this file
as a script)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the parquet importer parses in a child process
    from hubatlas.viewer.cli import main

    sys.exit(main())
