"""The topic protocol: one list of topics, four column files each, and lazy loading.

``derivations.topics.TOPICS`` is read from ``_toc.yml``; these tests fail when the table of
contents and the columns on disk disagree, when a topic misses part of its protocol, or when
asking for one topic's claims or derivations loads another topic.
"""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from derivations.topics import TOPICS, read_toc
from verify import claims

ROOT = Path(__file__).resolve().parents[1]
#: Modules of verify/ and figures/ that are shared machinery, not topics.
SHARED = {
    "verify": {
        "__init__",
        "dashboard",
        "__main__",
        "claims",
        "kinds",
        "evidence",
        "runner",
        "lazy",
        "autograd",
        "gradcheck",
        "montecarlo",
        "answers",
        "bench",
        "grading",
        "audit",
        "offline",
    },
    "figures": {"__init__", "__main__"},
    "derivations": {
        "__init__",
        "__main__",
        "core",
        "cache",
        "render",
        "printing",
        "steps",
        "arguments",
        "functions",
        "ranges",
        "topics",
        "lazy",
        "variants",
        "roster",
        "index_form",
    },
}
#: Book pages that are not topics.
PAGES = {"intro", "verification", "notation", "glossary", "references"}


def _entries(folder: str) -> set[str]:
    out = set()
    for path in (ROOT / folder).iterdir():
        if path.suffix == ".py" or (path / "__init__.py").is_file():
            out.add(path.stem if path.suffix == ".py" else path.name)
    return out


def test_the_topics_are_the_toc_chapters_in_book_order():
    toc = (ROOT / "_toc.yml").read_text()
    chapters = [
        line.split("book/")[1].strip() for line in toc.splitlines() if "file: book/" in line
    ]
    assert list(TOPICS) == [c for c in chapters if c not in PAGES]
    assert len(TOPICS) >= 6


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_has_its_four_column_files_and_tests(topic):
    for layer in ("derivations", "verify", "figures"):
        assert topic in _entries(layer), f"{layer}/{topic} is missing"
    assert (ROOT / "book" / f"{topic}.md").is_file()
    assert (ROOT / "tests" / f"test_{topic}.py").is_file()


@pytest.mark.parametrize("layer", ["derivations", "verify", "figures"])
def test_no_column_is_left_out_of_the_toc(layer):
    stray = _entries(layer) - SHARED[layer] - set(TOPICS)
    assert not stray, f"{layer}/ holds {sorted(stray)}, which _toc.yml does not list as topics"


def test_no_topic_page_is_left_out_of_the_toc():
    pages = {p.stem for p in (ROOT / "book").glob("*.md")}
    assert pages - PAGES <= set(TOPICS), sorted(pages - PAGES - set(TOPICS))


def test_a_toc_chapter_without_a_column_is_not_a_topic(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("root: book/intro\nchapters:\n  - file: book/ridge\n  - file: book/nope\n")
    assert read_toc(toc) == ("ridge",)


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_exposes_its_tables(topic):
    derivations = importlib.import_module(f"derivations.{topic}").DERIVATIONS
    assert derivations and all(k.startswith(f"{topic}.") for k in derivations)
    assert all(callable(builder) for builder in derivations.values())
    figures = importlib.import_module(f"figures.{topic}").FIGURES
    assert figures and all(k.startswith(f"{topic}.") for k in figures)
    declared = claims.select(f"{topic}.")
    assert all(c.topic == topic and c.answer in claims.ANSWER_KINDS for c in declared)
    assert all(c.derived is not None for c in declared), "every claim states its derived result"
    assert claims.wrong_answers(topic)


LOADED = """
import json, sys
from verify import claims
{action}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in
                        ("derivations", "verify", "figures", "torch", "scipy"))))
"""


def _loaded_after(action: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", LOADED.format(action=action)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def _topics_in(modules: set[str]) -> set[str]:
    return {m.split(".")[1] for m in modules if m.count(".") >= 1 and m.split(".")[1] in TOPICS}


def test_getting_one_claim_loads_its_topic_only_and_no_torch():
    modules = _loaded_after("c = claims.get('ridge.optimal_mu'); c.reference()")
    assert _topics_in(modules) == {"ridge"}
    assert "torch" not in modules and "scipy" not in modules


def test_selecting_a_prefix_loads_the_topics_it_names_only():
    assert _topics_in(_loaded_after("claims.select('initialization.')")) == {"initialization"}
    assert _topics_in(_loaded_after("claims.select('act')")) == {"activations"}


def test_all_loads_every_topic():
    assert _topics_in(_loaded_after("claims.all()")) == set(TOPICS)


def test_showing_a_derivation_loads_its_topic_only():
    modules = _loaded_after("from derivations.__main__ import table; table('ridge.')")
    assert _topics_in(modules) == {"ridge"}


def test_a_figure_table_loads_its_topic_only():
    modules = _loaded_after("import figures; figures.load('optimizers')")
    assert _topics_in({m for m in modules if m.startswith("figures.")}) == {"optimizers"}


@pytest.mark.parametrize("topic", TOPICS)
def test_reading_a_topics_typed_claims_imports_no_torch(topic):
    """The fast path of check-answer reads declarations and derived results only."""
    modules = _loaded_after(
        f"for c in claims.select('{topic}.'):\n"
        "    c.reference() if c.answer in claims.TYPED_KINDS else None"
    )
    assert _topics_in(modules) == {topic}
    assert "torch" not in modules, f"reading {topic}'s claims imported torch"
