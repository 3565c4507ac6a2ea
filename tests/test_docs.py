"""The documentation cannot rot unnoticed: every internal link and picture of README.md and docs/ resolves (files
and heading anchors), docs/cli.md says what the real parsers say, the site builds with `mkdocs build
--strict`, and the README stays a two-minute read that gives the two set-up commands."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")
# [text](target) and ![alt](target), the target up to the first space or closing parenthesis
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_SRC = re.compile(r"<(?:img|a)\s[^>]*(?:src|href)=\"([^\"]+)\"", re.I)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def pages() -> list[Path]:
    return [ROOT / n for n in ("README.md", "CHANGELOG.md", "CONTRIBUTING.md")] + sorted(DOCS.rglob("*.md"))


def _prose(text: str) -> str:
    """The text with code blocks and code spans removed (a link written in code is not a link)."""
    return CODE.sub("", FENCE.sub("", text))


def anchors(path: Path) -> set[str]:
    """The ids Python-Markdown's toc (mkdocs) gives the headings of ``path``; GitHub's agree for ours."""
    from markdown.extensions.toc import slugify

    ids = set()
    for title in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title).replace("`", "").replace("*", "")
        ids.add(slugify(plain, "-"))
    return ids


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """Internal links and pictures of one Markdown file that point at nothing (a missing file, a heading
    that is not there, or a place outside the repository)."""
    text = _prose(path.read_text(encoding="utf-8"))
    problems = []
    for target in LINK.findall(text) + HTML_SRC.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto: ...: not checked offline
            continue
        file_part, _, anchor = unquote(target).partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if root.resolve() not in dest.parents and dest != root.resolve():
            problems.append(f"{path.name}: {target} leaves the repository")
        elif not dest.exists():
            problems.append(f"{path.name}: {target} does not exist")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{path.name}: {target}: no heading #{anchor} in {dest.name}")
    return problems


def test_every_internal_link_and_picture_resolves():
    found = [p for page in pages() for p in broken_links(page)]
    assert not found, "\n".join(found)


def test_the_link_check_finds_what_is_broken(tmp_path):
    (tmp_path / "there.md").write_text("# A page\n\n## Its part\n", encoding="utf-8")
    (tmp_path / "pic.png").write_bytes(b"\x89PNG")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md#its-part) ![ok](pic.png) [web](https://example.org/x) `[code](nowhere.md)`\n"
        "[gone](missing.md) ![gone](images/none.png) [no part](there.md#nothing) [out](../../etc/passwd)\n"
        '<img src="lost.png">\n```\n[in a block](nowhere.md)\n```\n',
        encoding="utf-8",
    )
    found = broken_links(page, root=tmp_path)
    assert len(found) == 5, found
    for bad in ("missing.md", "images/none.png", "there.md#nothing", "../../etc/passwd", "lost.png"):
        assert any(bad in f for f in found), (bad, found)


def test_cli_reference_is_what_the_parsers_say():
    sys.path.insert(0, str(ROOT))
    try:
        from bench.cli_reference import OUT, render
    finally:
        sys.path.remove(str(ROOT))
    expected = render()
    assert OUT == DOCS / "cli.md"
    assert OUT.read_text(encoding="utf-8") == expected, (
        "docs/cli.md differs from the parsers: run `python -m bench.cli_reference`"
    )
    # and the reference really is the parser's: every command and option it knows is in it
    from hubatlas.core.cli.main import build_parser
    from hubatlas.viewer.cli import add_self_test, add_view

    parser = build_parser(extra=[add_view], options=[add_self_test])
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, cmd in sub.choices.items():
        assert f"\n## {name}\n" in expected, name
        for action in cmd._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help") and action.help != "==SUPPRESS==":
                    assert f"`{flag}" in expected, (name, flag)


def test_mkdocs_builds_the_site_strictly(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, (
        f"(mkdocs comes with the test extra: pip install -e '.[test]')\n{r.stderr[-4000:]}"
    )
    built = {p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").rglob("*.html")}
    for page in ("index.html", "cli/index.html", "window/index.html", "performance/index.html"):
        assert page in built, sorted(built)
    assert (tmp_path / "site" / "images" / "window_overview.png").exists()


def test_readme_is_short_and_gives_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    commands = re.findall(r"^make (\w+)", "\n".join(_fenced(text)), re.M)
    assert commands[:2] == ["run", "test"], commands
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M), "CI must run exactly the README's test command"


def _fenced(text: str) -> list[str]:
    return [m.group(0) for m in FENCE.finditer(text)]


def test_the_version_lives_in_pyproject_only():
    from hubatlas.core import __version__

    project = (
        (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("[project]", 1)[1].split("\n[", 1)[0]
    )
    version = re.search(r'^version = "([^"]+)"$', project, re.M).group(1)  # (tomllib is 3.11+)
    assert __version__ == version, "the installed metadata is stale: pip install -e '.[test]' again"
    copies = [
        str(p.relative_to(ROOT))
        for top in ("core", "viewer", "bench")
        for p in (ROOT / top).rglob("*.py")
        if re.search(r"""__version__\s*=\s*["']\d+\.\d+""", p.read_text(encoding="utf-8"), re.M)
    ]
    assert copies == [], f"a second copy of the version: {copies}"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\n## Unreleased\n" in changelog and f"\n## {version}\n" in changelog
