"""The project's documentation stays consistent with the repository: every relative link in README.md and docs/*.md
leads to a file (and heading) that exists, no document names a Markdown file the repository does not contain, and
the scenario reference mentions every key of the scenario JSON Schema."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from sim.scenario.loader import scenario_json_schema

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKDOWN = [ROOT / "README.md", *DOCS]
SCANNED = [ROOT / "README.md", *sorted((ROOT / "docs").iterdir()), *sorted((ROOT / "scenarios").iterdir())]
"""Files whose mentions of *.md files must name files of the repository."""
SKIPPED_DIRS = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "build", "dist", "results"}

FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.I)
MD_NAME = re.compile(r"(?<![\w./-])([\w.-][\w./-]*\.md)(?![\w-])")


@cache
def repository_files() -> frozenset[str]:
    """Paths (relative, '/'-separated) of the repository's files: tracked and untracked but not ignored ones when
    git is available, otherwise every file under the root outside caches and results."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                             capture_output=True, check=True, timeout=20).stdout.decode("utf-8")
        files = frozenset(f for f in out.split("\0") if f and (ROOT / f).is_file())
        if files:
            return files
    except (OSError, subprocess.SubprocessError):
        pass
    return frozenset(p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
                     if p.is_file() and not SKIPPED_DIRS.intersection(p.relative_to(ROOT).parts))


def _exists(relative: str) -> bool:
    """A repository file, or a folder holding some."""
    files = repository_files()
    return relative in files or any(f.startswith(relative.rstrip("/") + "/") for f in files)


def _prose(text: str) -> str:
    """Markdown without fenced code blocks and inline code, where links and headings are not links and headings."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (but '-' and '_'), spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower().replace("`", ""))
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """The anchors of a Markdown file's headings (repeated headings get -1, -2, ... as on GitHub)."""
    seen: dict[str, int] = {}
    out = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return frozenset(out)


def relative_links(path: Path) -> Iterator[tuple[str, str, str]]:
    """(link as written, target path relative to the root, fragment) of every relative link in ``path``."""
    for target in LINK.findall(_prose(path.read_text(encoding="utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:, ...
            continue
        file, _, fragment = target.partition("#")
        resolved = (path.parent / file).resolve() if file else path.resolve()
        try:
            relative = resolved.relative_to(ROOT).as_posix()
        except ValueError:
            relative = f"(outside the repository: {resolved})"
        yield target, relative, fragment


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_point_to_existing_files_and_headings(path: Path) -> None:
    broken = []
    for target, relative, fragment in relative_links(path):
        if not _exists(relative):
            broken.append(f"{target}: no such file in the repository ({relative})")
        elif fragment and relative.endswith(".md") and fragment not in anchors(ROOT / relative):
            broken.append(f"{target}: {relative} has no heading with the anchor '#{fragment}'")
    assert not broken, f"{path.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_the_readme_links_every_docs_page() -> None:
    linked = {relative for _, relative, _ in relative_links(ROOT / "README.md")}
    missing = [p.relative_to(ROOT).as_posix() for p in DOCS if p.relative_to(ROOT).as_posix() not in linked]
    assert not missing, f"README.md does not link {missing}"


def _mentioned_md_files(path: Path) -> set[str]:
    return set(MD_NAME.findall(URL.sub(" ", path.read_text(encoding="utf-8", errors="replace"))))


def _md_file_exists(name: str, mentioned_in: Path) -> bool:
    """A path (relative to the mentioning file or to the root) or a bare name of a Markdown file in the repository."""
    md_files = {f for f in repository_files() if f.endswith(".md")}
    if "/" not in name:
        return name in {f.rsplit("/", 1)[-1] for f in md_files}
    candidates = [(mentioned_in.parent / name).resolve(), (ROOT / name).resolve()]
    return any(c.is_relative_to(ROOT) and c.relative_to(ROOT).as_posix() in md_files for c in candidates)


def test_no_document_names_a_markdown_file_the_repository_lacks() -> None:
    files = [p for p in SCANNED if p.is_file() and p.relative_to(ROOT).as_posix() in repository_files()]
    assert ROOT / "README.md" in files and DOCS and any(p.suffix == ".yaml" for p in files)
    missing = sorted(f"{p.relative_to(ROOT)}: {name}" for p in files for name in _mentioned_md_files(p)
                     if not _md_file_exists(name, p))
    assert not missing, "documents name Markdown files the repository does not contain:\n" + "\n".join(missing)


def test_md_name_pattern_finds_file_names_but_not_url_parts() -> None:
    text = "see DOMAIN.md §7, docs/domain.md and (README.md); https://example.org/x/page.md is a URL"
    assert set(MD_NAME.findall(URL.sub(" ", text))) == {"DOMAIN.md", "docs/domain.md", "README.md"}


def test_slug_follows_github() -> None:
    assert slug("`extends`: a scenario on top of another") == "extends-a-scenario-on-top-of-another"
    assert slug("Case D: multi-language, multi-skill center") == "case-d-multi-language-multi-skill-center"
    assert slug("`service_level`") == "service_level"


SCENARIO_REFERENCE = ROOT / "docs" / "scenarios.md"


def _reference_text() -> str:
    return SCENARIO_REFERENCE.read_text(encoding="utf-8")


def test_scenario_reference_mentions_every_top_level_key() -> None:
    text = _reference_text()
    keys = list(scenario_json_schema()["$defs"]["ScenarioPart"]["properties"])  # with extends
    missing = [k for k in keys if f"`{k}`" not in text]
    assert not missing, f"docs/scenarios.md does not mention the top-level keys {missing}"


def _object_keys_and_enums(schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    keys, values = set(), set()
    for definition in schema["$defs"].values():
        keys |= set(definition.get("properties", {}))
        values |= {str(v) for v in definition.get("enum", [])}
        for prop in definition.get("properties", {}).values():
            values |= {str(v) for v in prop.get("enum", [])}
            if "const" in prop:
                values.add(str(prop["const"]))
    return keys, values


def test_scenario_reference_mentions_every_nested_key_and_choice() -> None:
    text = _reference_text()
    keys, values = _object_keys_and_enums(scenario_json_schema())
    missing = sorted(k for k in keys | values if f"`{k}`" not in text)
    assert not missing, f"docs/scenarios.md does not mention {missing}"
