"""`hubatlas get`: find a published weekly snapshot of the whole Hub's models, download it (resumably, with a
progress bar) and check it against what the Hub declares, with huggingface_hub's own API.

The weekly snapshots are the dataset repository ``hfmlsoc/hub_weekly_snapshots``: a folder a week,
``models/<YYYY-MM-DD>/models.parquet``, copied from the daily ``cfahlgren1/hub-stats``. The newest is found
from the repository tree (``HfApi.list_repo_tree``), its size and sha256 from the LFS pointer the Hub declares
(``HfApi.get_paths_info``), and the resolve URL's HEAD (``get_hf_file_metadata``: ``X-Linked-Size``,
``X-Linked-Etag``) must agree. The bytes go to ``<cache>/downloads/.../models.parquet.part`` through
huggingface_hub's HTTP session; a dropped connection is resumed with a Range request from the last byte written,
and a download stopped any other way (Ctrl+C, a crash, Cancel) resumes from the ``.part`` file on the next run.
The finished file's size and sha256 must be the declared ones, else it is deleted and nothing is imported.

Like `sync`: the endpoint is ``--endpoint`` or HF_ENDPOINT (http(s), no credentials in the URL), HF_HUB_OFFLINE
refuses to go online, and the user's token (HF_TOKEN or their login) is sent to the endpoint's origin only."""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hubatlas.core.ingest.hubclient import Offline, is_offline, origin

REPO = "hfmlsoc/hub_weekly_snapshots"
FOLDER = "models"
FILE = "models.parquet"
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RETRY_BASE = float(os.environ.get("HUBATLAS_BACKOFF_BASE", "0.5"))
HF_PATH_RE = re.compile(r"^hf://datasets/([^/@]+/[^/@]+)(?:@([^/]+))?/(.+\.parquet)$")


class SnapshotRefused(RuntimeError):
    """A snapshot that cannot be fetched or does not match what the Hub declares; nothing was imported."""


class Cancelled(RuntimeError):
    """The download was cancelled; what arrived is kept and the next run resumes from it."""


@dataclass
class SnapshotFile:
    """One snapshot file on the Hub and what the Hub declares about it."""

    repo: str
    revision: str
    path: str
    date: str | None
    size: int
    sha256: str | None

    def describe(self) -> str:
        return f"{self.repo}/{self.path}" + (f"@{self.revision}" if self.revision != "main" else "")


def parse_hf_path(value: str) -> tuple[str, str, str]:
    """``hf://datasets/<owner>/<name>[@<revision>]/<path>.parquet`` -> (repo, revision, path)."""
    m = HF_PATH_RE.match(value.strip())
    if not m or ".." in m.group(3).split("/"):
        raise SnapshotRefused(
            f"not a dataset parquet path: {value[:200]!r} "
            "(expected hf://datasets/<owner>/<name>[@<revision>]/<folder>/<file>.parquet)"
        )
    return m.group(1), m.group(2) or "main", m.group(3)


def _api(endpoint: str):
    from huggingface_hub import HfApi

    return HfApi(endpoint=endpoint)


def snapshot_dates(endpoint: str, repo: str = REPO, revision: str = "main") -> list[str]:
    """The dates of the weekly model snapshots, oldest first (folders ``models/<YYYY-MM-DD>``)."""
    from huggingface_hub.hf_api import RepoFolder

    entries = _api(endpoint).list_repo_tree(repo, path_in_repo=FOLDER, repo_type="dataset", revision=revision)
    dates = []
    for e in entries:
        name = e.path.rsplit("/", 1)[-1]
        if isinstance(e, RepoFolder) and DATE_RE.match(name):
            dates.append(name)
    return sorted(dates)


def file_info(endpoint: str, repo: str, revision: str, path: str, date: str | None) -> SnapshotFile:
    """What the Hub declares about one file: its size and (an LFS file's) sha256."""
    from huggingface_hub.hf_api import RepoFile

    infos = _api(endpoint).get_paths_info(repo, [path], repo_type="dataset", revision=revision)
    f = next((i for i in infos if isinstance(i, RepoFile) and i.path == path), None)
    if f is None:
        raise SnapshotRefused(f"{repo} has no file {path} at {revision}")
    size, sha = (f.lfs.size, f.lfs.sha256) if f.lfs else (f.size, None)
    return SnapshotFile(repo, revision, path, date, int(size), sha)


def find_snapshot(endpoint: str, date: str | None = None, hf_path: str | None = None) -> SnapshotFile:
    """The newest weekly snapshot, the one of ``date``, or the file ``hf_path`` names."""
    if hf_path:
        repo, rev, path = parse_hf_path(hf_path)
        m = re.search(r"(\d{4}-\d{2}-\d{2})", path)
        return file_info(endpoint, repo, rev, path, m.group(1) if m else None)
    if date is not None and not DATE_RE.match(date):
        raise SnapshotRefused(f"--date must be YYYY-MM-DD, not {date[:40]!r}")
    dates = snapshot_dates(endpoint)
    if not dates:
        raise SnapshotRefused(f"{REPO} lists no weekly model snapshots under {FOLDER}/")
    if date is None:
        date = dates[-1]
    elif date not in dates:
        before = [d for d in dates if d < date][-1:]
        after = [d for d in dates if d > date][:1]
        near = ", ".join(before + after)
        raise SnapshotRefused(
            f"{REPO} has no snapshot of {date} ({len(dates)} snapshots from {dates[0]} to {dates[-1]}"
            + (f"; the nearest: {near})" if near else ")")
        )
    return file_info(endpoint, REPO, "main", f"{FOLDER}/{date}/{FILE}", date)


def local_path(downloads: Path, sf: SnapshotFile) -> Path:
    """Where a snapshot file is kept: ``<downloads>/<owner>--<name>/<path>``."""
    return downloads / sf.repo.replace("/", "--") / sf.path


def sha256_of(path: Path, chunk: int = 8 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while b := f.read(chunk):
            h.update(b)
    return h.hexdigest()


def _progress_class(enabled: bool | None, on_bytes: Callable[[int, int], None] | None, cancel):
    """A tqdm class for huggingface_hub's ``http_get``: bytes, rate and ETA on stderr, a callback with
    (bytes so far, total), and Cancelled raised from inside the download when ``cancel()`` says so."""
    import sys

    from tqdm import tqdm

    show = (
        enabled
        if enabled is not None
        else (sys.stderr.isatty() or os.environ.get("HUBATLAS_PROGRESS") == "1")
    )

    class Bar(tqdm):
        def __init__(self, *a, **kw):
            kw.pop("name", None)
            kw.update(disable=not show, file=sys.stderr, dynamic_ncols=True, unit="B", unit_scale=True)
            kw["unit_divisor"] = 1024
            super().__init__(*a, **kw)
            self.done = int(kw.get("initial") or 0)  # counted here: a disabled tqdm counts nothing

        def update(self, n=1):
            if cancel is not None and cancel():
                raise Cancelled("the download was cancelled; run it again to resume")
            self.done += n
            if on_bytes is not None:
                on_bytes(self.done, int(self.total or 0))
            return super().update(n)

        def reset(self, total=None):
            self.done = 0
            return super().reset(total)

    return Bar


def _check_head(sf: SnapshotFile, meta) -> None:
    """The resolve URL's HEAD must declare the size and hash the tree declared."""
    if meta.size is not None and meta.size != sf.size:
        raise SnapshotRefused(
            f"{sf.describe()}: the Hub's download declares {meta.size:,} bytes, its tree {sf.size:,}; not downloaded"
        )
    if sf.sha256 and meta.etag and re.fullmatch(r"[0-9a-f]{64}", meta.etag) and meta.etag != sf.sha256:
        raise SnapshotRefused(
            f"{sf.describe()}: the download's sha256 ({meta.etag}) is not the tree's ({sf.sha256})"
        )


CHUNK = 1 << 16
RETRIES = 5


def download(
    endpoint: str,
    sf: SnapshotFile,
    downloads: Path,
    progress: bool | None = None,
    on_bytes: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Path:
    """The verified local file of ``sf``: downloaded, or resumed from a ``.part`` file, or already there."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.utils import build_hf_headers

    final = local_path(downloads, sf)
    if (
        final.exists()
        and final.stat().st_size == sf.size
        and (not sf.sha256 or sha256_of(final) == sf.sha256)
    ):
        return final
    if is_offline():
        raise Offline(
            f"HF_HUB_OFFLINE is set: hubatlas will not download {sf.describe()}. Unset it, or import a file "
            "you already have with `hubatlas import`."
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    # named for the content it holds a prefix of: a file the Hub replaced starts again, never continues an old one
    part = final.with_name(f"{final.name}.{(sf.sha256 or 'nohash')[:12]}.part")
    url = hf_hub_url(sf.repo, sf.path, repo_type="dataset", revision=sf.revision, endpoint=endpoint)
    meta = get_hf_file_metadata(url, endpoint=endpoint)  # HEAD: X-Linked-Size, X-Linked-Etag, the CDN's URL
    _check_head(sf, meta)
    if part.exists() and part.stat().st_size > sf.size:  # longer than the file: not a prefix of it
        part.unlink()
    headers = build_hf_headers()
    target = meta.location or url
    if origin(target) != origin(endpoint):  # a CDN's signed URL: the token stays with the endpoint
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    have = part.stat().st_size if part.exists() else 0
    _check_room(final.parent, sf.size - have, sf)
    Bar = _progress_class(progress, on_bytes, cancel)
    with Bar(total=sf.size, initial=have, desc=f"get {sf.path}") as pb:
        _fetch_rest(target, part, sf, headers, pb)
    verify(part, sf)
    os.replace(part, final)
    return final


def _check_room(folder: Path, needed: int, sf: SnapshotFile) -> None:
    """SnapshotRefused, before a byte is fetched, when the disk cannot hold the rest of the file."""
    import shutil

    free = shutil.disk_usage(folder).free
    if free < needed:
        raise SnapshotRefused(
            f"{sf.describe()}: {needed / 1e6:,.0f} MB still to download and {free / 1e6:,.0f} MB free in {folder}; "
            "free some space (the import needs about as much again) and run it again"
        )


def _fetch_rest(url: str, part: Path, sf: SnapshotFile, headers: dict, pb) -> None:
    """Append the rest of the file to ``part`` (a Range request from what it holds), retrying a dropped
    connection from where it stopped; OSError when the connection keeps failing (the next run resumes)."""
    from huggingface_hub.utils import get_session, hf_raise_for_status

    from hubatlas.core.ingest.hubclient import _transport_errors

    errors, session, failures, last = _transport_errors(), get_session(), 0, ""
    while (have := part.stat().st_size if part.exists() else 0) < sf.size:
        h = dict(headers, **({"Range": f"bytes={have}-"} if have else {}))
        try:
            with session.stream("GET", url, headers=h, timeout=60.0, follow_redirects=True) as r:
                hf_raise_for_status(r)
                if have and r.status_code != 206:  # the server sent the whole file: start again
                    part.unlink()
                    pb.reset(total=sf.size)
                with open(part, "ab") as f:
                    for chunk in r.iter_bytes(CHUNK):
                        f.write(chunk)
                        pb.update(len(chunk))
                        failures = 0
                        if f.tell() > sf.size:
                            break
            if part.stat().st_size >= sf.size:
                return
            last = "the server closed the connection early"
        except errors as e:
            last = f"{type(e).__name__}: {str(e)[:160]}"
        failures += 1
        if failures > RETRIES:
            raise OSError(f"the connection failed {failures} times in a row ({last})")
        time.sleep(min(10.0, RETRY_BASE * 2**failures))


def verify(path: Path, sf: SnapshotFile) -> None:
    """SnapshotRefused (and the file deleted: resuming it cannot mend it) unless it has the declared size and
    sha256."""
    size = path.stat().st_size
    if size != sf.size:
        path.unlink(missing_ok=True)
        raise SnapshotRefused(
            f"{sf.describe()}: downloaded {size:,} bytes, the Hub declares {sf.size:,}; deleted, nothing imported"
        )
    if sf.sha256:
        got = sha256_of(path)
        if got != sf.sha256:
            path.unlink(missing_ok=True)
            raise SnapshotRefused(
                f"{sf.describe()}: its sha256 is {got}, the Hub declares {sf.sha256}; deleted, nothing imported"
            )
