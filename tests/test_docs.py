"""The user documentation stays true: every ``>>>`` example of every page under ``docs/``
runs with the output it shows, and every relative link leads to a file that exists."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS

FENCE = re.compile(r"^\s*(```|~~~)")
OPTIONAL_LIBRARY = re.compile(r"^\s*(?:>>>|\.\.\.)\s*(?:import|from)\s+(?:candidate_sampling\.layers\.)?"
                              r"(torch|jax|cupy)\b", flags=re.M)
TITLE = r"""(?:\s+(?:"[^"]*"|'[^']*'))?"""
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?" + TITLE + r"\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?" + TITLE + r"\s*$", flags=re.M)
INLINE_CODE = re.compile(r"(`+).+?\1")


def _ids(pages: list[Path]) -> list[str]:
    return [str(p.relative_to(DOCS)) for p in pages]


def code_lines(text: str) -> str:
    """``text`` with every line outside fenced code blocks blanked, so that doctest sees
    only the examples (a closing fence is not expected output) and its line numbers are
    the page's."""
    out, inside = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            inside = not inside
            out.append("")
        else:
            out.append(line if inside else "")
    return "\n".join(out) + "\n"


def prose(text: str) -> str:
    """``text`` without fenced code blocks and inline code spans (links there are code)."""
    out, inside = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            out.append(INLINE_CODE.sub("", line))
    return "\n".join(out)


def relative_links(text: str) -> list[str]:
    """The link targets of ``text`` that are paths in this repository."""
    body = prose(text)
    targets = LINK.findall(body) + REFERENCE.findall(body)
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


EXAMPLE_PAGES = [p for p in PAGES if ">>>" in code_lines(p.read_text())]


@pytest.fixture
def fresh_tf_seed_state():
    """A page starts, as a reader's session would, with no TensorFlow global seed and no
    cached sampler kernels, and leaves none behind for the tests that follow."""
    from candidate_sampling.compat.tf.random import set_seed

    set_seed(None)
    yield
    set_seed(None)


@pytest.mark.usefixtures("fresh_tf_seed_state")
@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=_ids(EXAMPLE_PAGES))
def test_examples_run(page: Path) -> None:
    """The page's examples run in order, in one namespace, and print what they show."""
    text = page.read_text()
    examples = code_lines(text)
    for library in sorted(set(OPTIONAL_LIBRARY.findall(examples))):
        pytest.importorskip(library)
    name = str(page.relative_to(ROOT))
    test = doctest.DocTestParser().get_doctest(examples, {"__name__": "__docs__"}, name, name, 0)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    result = runner.run(test, out=report.append, clear_globs=True)
    assert result.attempted > 0
    assert result.failed == 0, "".join(report)


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_relative_links_resolve(page: Path) -> None:
    missing = [t for t in relative_links(page.read_text())
               if not (page.parent / t.split("#", 1)[0]).exists()]
    assert not missing, f"{page.relative_to(ROOT)}: links to missing files: {missing}"


def test_index_links_every_page() -> None:
    """``docs/README.md`` has a line for every page of the documentation."""
    index = DOCS / "README.md"
    linked = {(index.parent / t.split("#", 1)[0]).resolve()
              for t in relative_links(index.read_text())}
    unlisted = [str(p.relative_to(DOCS)) for p in PAGES if p != index and p.resolve() not in linked]
    assert not unlisted, f"docs/README.md does not list: {unlisted}"


def test_op_pages_point_to_their_spec() -> None:
    """Each op page links to the spec page that holds its arguments, math and errors."""
    pages = sorted((DOCS / "ops").glob("*.md"))
    assert pages
    for page in pages:
        spec = [t for t in relative_links(page.read_text()) if t.startswith("../../spec/")]
        assert any((page.parent / t.split("#", 1)[0]).is_file() for t in spec), page.name


def test_link_finder_sees_links_in_prose_only() -> None:
    text = ("See [a](a.md), [b](../b.md#x 'no'), [web](https://example.org), [top](#top)\n"
            "and `[code](c.md)`.\n```python\n[not](d.md)\n```\n[ref]: e/f.md\n")
    assert relative_links(text) == ["a.md", "../b.md#x", "e/f.md"]


def test_code_lines_keep_only_fenced_code_at_its_line() -> None:
    text = "prose >>> 1\n```python\n>>> 1 + 1\n2\n```\nafter\n"
    assert code_lines(text).splitlines() == ["", "", ">>> 1 + 1", "2", "", ""]
