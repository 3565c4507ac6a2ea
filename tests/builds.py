"""The packaging tests' builds, started by conftest before the first test of a session that has those tests and
run one after another in a thread of the test process (each command in a process of its own): the app bundle
(`pyinstaller build_app.spec`, for test_packaging), then the sdist and wheel and a fresh virtual environment
with the wheel installed (for test_wheel). They take about two minutes of one core here, spent beside the tests
instead of in their time; the tests read their results and check them as before. Each build is of a copy of the
working tree, so its in-place files (build/, hubatlas.egg-info, where a command run from the checkout reads its
version) never change under the tests' own commands."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from helpers import REPO

# what is not the project's: version control, environments, caches, build outputs
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".*_cache"
)
STEPS = ("app", "dists", "venv")
TIMEOUT = {"app": 1200, "dists": 600, "venv": 1020}  # as the tests gave each command, from its start


class Builds:
    """``result(step)`` waits for a step (of STEPS, those asked for) and gives its CompletedProcess."""

    def __init__(self, out: Path, app: bool, wheel: bool):
        self.out = out
        self.exe = (
            out / "app" / "dist" / "hubatlas" / ("hubatlas.exe" if sys.platform == "win32" else "hubatlas")
        )
        self.venv = out / "venv"
        self.steps = [s for s in STEPS if (app if s == "app" else wheel)]
        self._done = {s: threading.Event() for s in self.steps}
        self._results: dict[str, subprocess.CompletedProcess | BaseException] = {}
        self._proc: subprocess.Popen | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="builds", daemon=True)
        self._thread.start()

    def result(self, step: str) -> subprocess.CompletedProcess:
        self._done[step].wait()
        r = self._results[step]
        if isinstance(r, BaseException):
            raise r
        return r

    def dists(self) -> dict[str, Path]:
        d = self.out / "dists"
        return {"wheel": next(d.glob("hubatlas-*.whl")), "sdist": next(d.glob("hubatlas-*.tar.gz"))}

    def stop(self) -> None:
        self._stopped = True
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        for step in self.steps:
            try:
                self._results[step] = getattr(self, f"_{step}")()
            except BaseException as e:  # given to the test that reads this step
                self._results[step] = e
            self._done[step].set()

    def _command(self, step: str, args: list[str], started: float) -> subprocess.CompletedProcess:
        if self._stopped:
            raise RuntimeError("the session ended before this build ran")
        out, err = self.out / f"{step}.out", self.out / f"{step}.err"
        with out.open("w") as o, err.open("w") as e:  # files, not pipes: nothing reads them meanwhile
            self._proc = subprocess.Popen(args, stdout=o, stderr=e, text=True)
        try:
            code = self._proc.wait(timeout=max(TIMEOUT[step] - (time.monotonic() - started), 1))
        except subprocess.TimeoutExpired:
            self._proc.kill()
            raise
        return subprocess.CompletedProcess(args, code, out.read_text(), err.read_text())

    def _sources(self, name: str) -> Path:
        src = self.out / name
        shutil.copytree(REPO, src, ignore=NOT_SOURCES, symlinks=True)
        return src

    def _app(self) -> subprocess.CompletedProcess:
        started, src, where = time.monotonic(), self._sources("app-src"), self.out / "app"
        args = ["--noconfirm", "--log-level", "WARN", "--distpath", str(where / "dist")]
        args += ["--workpath", str(where / "build"), str(src / "build_app.spec")]
        return self._command("app", [sys.executable, "-m", "PyInstaller", *args], started)

    def _dists(self) -> subprocess.CompletedProcess:
        # sdist first, then the wheel from the unpacked sdist: what the sdist lacks, the wheel lacks too
        started, src = time.monotonic(), self._sources("dists-src")
        args = [sys.executable, "-m", "build", "--outdir", str(self.out / "dists"), str(src)]
        return self._command("dists", args, started)

    def _venv(self) -> subprocess.CompletedProcess:
        started, built = time.monotonic(), self._results["dists"]
        if not isinstance(built, subprocess.CompletedProcess) or built.returncode != 0:
            raise RuntimeError("no wheel to install: the sdist and wheel build failed")
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True, timeout=120)
        wheel = f"{self.dists()['wheel']}[viewer]"
        return self._command(
            "venv", [str(self.venv / "bin" / "python"), "-m", "pip", "install", "-q", wheel], started
        )
