"""What the first-launch dialog offers beside the demo: the whole Hub from the newest weekly snapshot, "about N
models, M MB, a few minutes". M is the size the Hub declares for the file; N is the row count in the file's
parquet footer, read with two Range requests (a few hundred kB of a file of 1.5 GB), so the offer is exact
before anything is downloaded. No Qt: the window shows it."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

FOOTER_GUESS = 1 << 18  # the first read from the file's end; a larger footer is fetched whole after


@dataclass
class Offer:
    repo: str
    path: str
    date: str | None
    size: int
    rows: int | None

    def text(self) -> str:
        models = f"about {_round(self.rows)} models, " if self.rows else ""
        return f"the whole Hub ({models}{self.size / 1e6:,.0f} MB, a few minutes)"


def _round(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.1f} million"
    if n >= 10_000:
        return f"{round(n, -3):,}"
    return f"{n:,}"


def _tail(url: str, headers: dict, start: int | None, length: int) -> bytes:
    """The last ``length`` bytes of the file (``start`` None), or ``length`` bytes from ``start``."""
    from huggingface_hub.utils import get_session, hf_raise_for_status

    rng = f"bytes=-{length}" if start is None else f"bytes={start}-{start + length - 1}"
    r = get_session().get(url, headers={**headers, "Range": rng}, timeout=15.0, follow_redirects=True)
    hf_raise_for_status(r)
    if r.status_code != 206:
        raise ValueError("the server does not answer range requests")
    return r.content


def footer_rows(url: str, headers: dict, size: int) -> int:
    """The row count in a remote parquet file's footer (FileMetaData), from its last bytes only."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tail = _tail(url, headers, None, min(FOOTER_GUESS, size))
    if tail[-4:] != b"PAR1":
        raise ValueError("not a parquet file")
    n = struct.unpack("<I", tail[-8:-4])[0]
    if n + 8 > len(tail):
        tail = _tail(url, headers, size - n - 8, n + 8)
    footer = tail[-(n + 8) :]
    return pq.read_metadata(pa.BufferReader(b"PAR1" + footer)).num_rows


def demo_models(cache: Path | None = None) -> int:
    """The model count of the atlas shown instead (the bundled demo by default), from its manifest; 0 when it
    cannot be read."""
    import json

    from hubatlas.core.common.paths import demo_dir
    from hubatlas.core.store.snapshot import snapshot_dir

    try:
        return int(
            json.loads((snapshot_dir(Path(cache or demo_dir())) / "manifest.json").read_text())["models"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def fetch_offer(endpoint: str | None = None) -> Offer | None:
    """The newest weekly snapshot as an offer; None when offline (HF_HUB_OFFLINE) or the Hub cannot be
    reached (the dialog then offers the demo only). Its size always; its rows when the footer can be read."""
    from hubatlas.core.ingest.hubclient import endpoint as resolve_endpoint, is_offline, origin

    if is_offline():
        return None
    try:
        from huggingface_hub import get_hf_file_metadata, hf_hub_url
        from huggingface_hub.utils import build_hf_headers

        from hubatlas.core.ingest.snapshot_get import find_snapshot

        base = resolve_endpoint(endpoint)
        sf = find_snapshot(base)
    except Exception:  # offline, refused, no snapshot: the demo is still offered
        return None
    offer = Offer(sf.repo, sf.path, sf.date, sf.size, None)
    try:
        url = hf_hub_url(sf.repo, sf.path, repo_type="dataset", revision=sf.revision, endpoint=base)
        target = get_hf_file_metadata(url, endpoint=base).location or url
        headers = build_hf_headers() if origin(target) == origin(base) else {}
        offer.rows = footer_rows(target, headers, sf.size)
    except Exception:  # the size alone is still an honest offer
        pass
    return offer
