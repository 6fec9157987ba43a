"""The dashboard's parts (verify/dashboard.py) and the links between chapters and dashboard.

Expected values are written out by hand here (a margin as a fraction, LaTeX as text, a date
given to git), never taken from the functions under test. The last tests read the built book
when there is one (``make book``; REQUIRE_BOOK=1 makes its absence a failure).
"""

import json
import math
import os
import re
import subprocess

import pytest
import sympy as sp

from derivations.core import Derivation, Step
from derivations.topics import TOPICS
from verify import claims, dashboard
from verify.evidence import Evidence, claim_anchor, table

# --- margins ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "tolerance", "expected"),
    [
        (3e-10, 1e-9, 10 / 3),
        (0.05, 0.02, 0.4),  # a failure: below 1
        (1.0, 1.0, 1.0),  # exactly at the tolerance still passes
        (-2.0, 1.0, 0.5),  # a signed error counts by its size
        (0.0, 0.0, math.inf),
        (0.0, None, math.inf),
        (float("nan"), 1.0, 0.0),
        (float("inf"), 1.0, 0.0),
        ("inf", 1.0, 0.0),  # evidence read back from JSON writes non-finite numbers as text
        (1e-3, None, None),  # an error with nothing to compare it with
        (None, 1e-9, None),
        (None, None, None),
    ],
)
def test_margin_is_tolerance_over_error(error, tolerance, expected):
    found = dashboard.margin(Evidence("t.x", "autograd", True, error=error, tolerance=tolerance))
    if expected is None or math.isinf(expected):
        assert found == expected
    else:
        assert found == pytest.approx(expected, rel=1e-12)


def test_an_infinite_margin_is_exact_only_for_an_equality_check():
    shown = {
        (method, tol): dashboard.margin_cell(
            Evidence("t.x", method, True, error=0.0, tolerance=tol)
        )
        for method in ("exact", "enumeration", "autograd", "torch-reference")
        for tol in (None, 0.0, 1e-12)
    }
    assert shown[("exact", 1e-12)] == shown[("enumeration", 1e-12)] == "exact"
    assert shown[("torch-reference", None)] == shown[("autograd", 0.0)] == "exact"
    assert shown[("autograd", 1e-12)] == shown[("torch-reference", 1e-12)] == "∞"
    assert dashboard.margin_cell(Evidence("t.x", "monte-carlo", True, p_value=0.3)) == "—"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.5, "2.5"),
        (999.4, "999"),
        (1000.0, "1 × 10³"),
        (999_600.0, "1 × 10⁶"),
        (12_345.0, "1.23 × 10⁴"),
        (0.0123, "0.0123"),
        (0.00456, "4.56 × 10⁻³"),
        (0.0, "0"),
    ],
)
def test_margin_text(value, text):
    assert dashboard.margin_text(value) == text


def test_margins_agree_with_the_verdicts_of_real_checks():
    # A passing check has a margin of at least 1, a failing one below 1: the margin says
    # what the verdict says (the page asserts this for every claim it runs).
    for claim_id in ("activations.relu.derivative", "ridge.optimal_mu"):
        found = claims.get(claim_id)
        wrong = list(claims.wrong_answers(claim_id.split(".")[0])[claim_id].values())[0]
        right, bad = found.check(), found.check(wrong)
        assert right.passed and dashboard.margin(right) >= 1
        assert not bad.passed and dashboard.margin(bad) < 1


def test_closest_to_failing_takes_the_smallest_finite_margins_in_order():
    ev = [
        Evidence("t.e", "autograd", True, error=1.0, tolerance=3.0),  # 3
        Evidence("t.b", "autograd", True, error=1.0, tolerance=2.0),  # 2
        Evidence("t.a", "autograd", True, error=2.0, tolerance=4.0),  # 2: tie, id order
        Evidence("t.z", "exact", True, error=0.0),  # infinite: not "close"
        Evidence("t.n", "monte-carlo", True, p_value=0.5),  # no margin
        Evidence("t.c", "autograd", True, error=1.0, tolerance=10.0),  # 10
    ]
    assert [e.claim_id for e in dashboard.closest_to_failing(ev, 3)] == ["t.a", "t.b", "t.e"]
    assert [e.claim_id for e in dashboard.closest_to_failing(ev)] == ["t.a", "t.b", "t.e", "t.c"]
    with pytest.raises(ValueError, match="k"):
        dashboard.closest_to_failing(ev, 0)


def test_chapters_come_in_book_order_with_strays_last():
    ev = [Evidence(f"{t}.x") for t in reversed(TOPICS)] + [Evidence("zz.q"), Evidence("aa.q")]
    ev.append(Evidence(f"{TOPICS[0]}.second"))  # after its chapter's first, far down the list
    groups = dashboard.by_chapter(ev, TOPICS)
    assert [t for t, _ in groups] == [*TOPICS, "aa", "zz"]
    assert [e.claim_id for e in groups[0][1]] == [f"{TOPICS[0]}.x", f"{TOPICS[0]}.second"]
    with pytest.raises(TypeError, match="topics"):
        dashboard.by_chapter(ev, "mlp")


# --- typesetting -----------------------------------------------------------------------------


def test_statements_typeset_what_sympy_would_spell_as_code():
    x = sp.Symbol("x")
    relu = sp.Piecewise((0, x <= 0), (1, True))
    text = "d/dx relu(x) = Piecewise((0, x <= 0), (1, True)); at the kink x = 0 it is 0"
    shown = dashboard.statement_myst(text, relu)
    assert "Piecewise" not in shown
    assert shown == (
        r"d/dx relu(x) = $\begin{cases} 0 & \text{for}\: x \leq 0 \\1 & \text{otherwise} "
        r"\end{cases}$; at the kink x = 0 it is 0"
    )
    assert dashboard.statement_myst("in Interval.open(0, 1)", sp.Interval.open(0, 1)) == (
        r"in $\left(0, 1\right)$"
    )
    # Plain text is escaped (no accidental bold from x**2, no table break from |).
    assert dashboard.statement_myst("x**2 | fan_in") == r"x\*\*2 \| fan\_in"


def test_a_claims_evidence_carries_its_result_typeset():
    relu_range = claims.get("activations.relu.range").check()
    assert relu_range.derived == r"\left[0, \infty\right)"
    assert "Interval" not in relu_range.statement + dashboard.derived_cell(relu_range)
    derivative = claims.get("activations.relu.derivative").check()
    assert "Piecewise" not in derivative.statement
    assert r"\begin{cases}" in derivative.statement
    # the statement shows the result already: it is not repeated beside it
    assert dashboard.derived_cell(derivative) == derivative.statement
    # a candidate's evidence is not the claim's result: nothing is typeset for it
    wrong = list(claims.wrong_answers("activations")["activations.relu.derivative"].values())[0]
    assert claims.get("activations.relu.derivative").check(wrong).derived == ""


@pytest.mark.parametrize(
    ("value", "latex"),
    [
        (sp.Interval(0, sp.oo), r"\left[0, \infty\right)"),
        (sp.Rational(1, 100), r"\frac{1}{100}"),
        ((1, 2.5, -3e-8), r"\left(1, 2.5, -3 \times 10^{-8}\right)"),
        ({28: 0.25, 29: 0.75}, r"P(28) = 0.25,\; P(29) = 0.75"),
        (tuple(range(20)), r"\left(0, 1, 2, 3, 4, 5, \ldots, 19, \text{ (20 items)}\right)"),
        (lambda v: v, ""),
    ],
)
def test_typeset(value, latex):
    assert dashboard.typeset(value) == latex


def test_a_long_result_goes_behind_a_disclosure():
    short = Evidence("t.x", statement="s", derived="x^{2}")
    long = Evidence("t.x", statement="s", derived="x + " * 40)
    assert dashboard.derived_cell(short) == "s; derived: $x^{2}$"
    assert dashboard.derived_cell(long).startswith('s <details class="dv-derived">')


# --- anchors and links -----------------------------------------------------------------------

CELL = re.compile(r'<a class="dv-claim" id="([^"]+)" href="([^"#]*)#([^"]+)"><code>([^<]+)</code>')


def test_claim_anchors_refuse_ids_that_cannot_be_a_fragment():
    assert (
        claim_anchor("losses.cutmix.adjusted_mean.cifar")
        == "claim-losses.cutmix.adjusted_mean.cifar"
    )
    for bad in ("a b", 'a"b', "a#b", ""):
        with pytest.raises(ValueError, match="claim_id"):
            claim_anchor(bad)
    with pytest.raises(TypeError, match="claim_id"):
        claim_anchor(3)


def test_chapter_rows_and_dashboard_rows_point_at_each_other():
    ev = [
        Evidence("mlp.sgd.W1_new", "torch-reference", True, error=1e-16, tolerance=1e-12),
        Evidence("ridge.optimal_mu", "monte-carlo", True, error=0.1, tolerance=0.3),
    ]
    chapter = table(ev, markdown=True, link=dashboard.dashboard_link)
    board = dashboard.dashboard_table(ev)
    there = {m[3]: m for m in CELL.findall(chapter)}
    back = {m[3]: m for m in CELL.findall(board)}
    assert set(there) == set(back) == {"mlp.sgd.W1_new", "ridge.optimal_mu"}
    for claim_id in there:
        anchor, page, fragment, _ = there[claim_id]
        b_anchor, b_page, b_fragment, _ = back[claim_id]
        assert anchor == b_anchor == fragment == b_fragment == f"claim-{claim_id}"
        assert page == "verification.html"
        assert b_page == claim_id.split(".")[0] + ".html"
    # the message column stays last, for the phone layout
    assert board.splitlines()[0].rstrip(" |").endswith("message")
    assert chapter.splitlines()[0].rstrip(" |").endswith("message")


def test_publish_anchors_its_table_and_links_each_row():
    out = claims.publish("activations.relu.range")
    assert out.splitlines()[0] == '<span id="evidence-activations.relu.range"></span>'
    (cell,) = CELL.findall(out)
    assert cell == (
        "claim-activations.relu.range",
        "verification.html",
        "claim-activations.relu.range",
        "activations.relu.range",
    )
    with pytest.raises(ValueError, match="link"):
        table([], link=dashboard.dashboard_link)


# --- derivations, provenance, JSON ---------------------------------------------------------


def test_derivation_results_count_each_status_and_skip_what_is_not_a_chain(monkeypatch):
    import derivations.optimizers as topic

    x = sp.Symbol("x", real=True)
    chain = Derivation("demo", [x], [Step(x + x, "given"), Step(2 * x, "sum"), Step(3 * x, "slip")])
    monkeypatch.setattr(
        topic,
        "DERIVATIONS",
        {"optimizers.demo": lambda: chain, "optimizers.table": lambda: "not a chain"},
    )
    assert dashboard.derivation_results("optimizers") == [
        {
            "id": "optimizers.demo",
            "title": "demo",
            "steps": 2,
            "proved": 1,
            "numeric-only": 0,
            "failed": 1,
        }
    ]
    with pytest.raises(ValueError, match="topic"):
        dashboard.derivation_results("nonsense")


def test_derivation_results_are_kept_in_the_cache(monkeypatch, tmp_path):
    import derivations.core
    import derivations.optimizers as topic

    x = sp.Symbol("x", real=True)
    chain = Derivation("kept", [x], [Step(x * x, "given"), Step(x**2, "power")])
    monkeypatch.setattr(topic, "DERIVATIONS", {"optimizers.kept": lambda: chain})
    monkeypatch.setenv("DV_CACHE_DIR", str(tmp_path))
    first = dashboard.derivation_results("optimizers")
    assert [r["proved"] for r in first] == [1]

    def refuse(self, *, seed=0):
        raise AssertionError("checked again")

    monkeypatch.setattr(derivations.core.Derivation, "check", refuse)
    assert dashboard.derivation_results("optimizers") == first  # looked up, not checked
    with pytest.raises(AssertionError, match="checked again"):
        dashboard.derivation_results("optimizers", seed=1)  # another key


def _git(repo, *args, **env):
    subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, env={**os.environ, **env}
    )


def test_provenance_reports_the_commit_and_its_date_not_the_clock(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "f.txt").write_text("one\n")
    _git(repo, "add", "f.txt")
    when = "2024-02-29T23:30:00+05:00"
    _git(
        repo,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "-m",
        "c",
        GIT_COMMITTER_DATE=when,
        GIT_AUTHOR_DATE=when,
    )
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    p = dashboard.provenance(repo)
    assert p["commit"] == head
    assert p["commit_date"] == "2024-02-29T18:30:00+00:00"  # the same instant, in UTC
    assert p["uncommitted_changes"] is False
    (repo / "f.txt").write_text("two\n")
    assert dashboard.provenance(repo)["uncommitted_changes"] is True
    outside = dashboard.provenance(tmp_path)
    assert outside["commit"] is None and outside["commit_date"] is None
    assert set(outside["libraries"]) == {"sympy", "numpy", "torch", "scipy", "mpmath"}
    with pytest.raises(ValueError, match="root"):
        dashboard.provenance(tmp_path / "missing")


def test_the_json_document_holds_every_claim_and_round_trips(tmp_path):
    ev = [
        Evidence("t.a", "exact", True, error=0.0, tolerance=0.0, seed=0),
        Evidence(
            "t.b",
            "monte-carlo",
            True,
            error=0.01,
            tolerance=0.04,
            interval=(0.9, 1.1),
            p_value=0.3,
            seed=0,
        ),
    ]
    doc = dashboard.evidence_json(
        ev, {"t.a": "a", "t.b": "b"}, {"t": [{"id": "t.d"}]}, {"commit": "abc"}, seed=0
    )
    path = dashboard.write_json(doc, tmp_path)
    read = json.loads(path.read_text(encoding="utf-8"))
    assert read["format"] == "derived-and-verified evidence" and read["version"] == 1
    assert [c["claim_id"] for c in read["claims"]] == ["t.a", "t.b"]
    assert read["claims"][0]["margin"] == "inf" and read["claims"][1]["margin"] == 4.0
    assert read["claims"][1]["interval"] == [0.9, 1.1]
    assert read["claims"][1]["statement_text"] == "b"
    assert read["derivations"] == {"t": [{"id": "t.d"}]} and read["provenance"]["commit"] == "abc"
    # named by its content: the same document, the same file; another, another folder
    assert dashboard.write_json(doc, tmp_path) == path
    other = dashboard.write_json({**doc, "seed": 1}, tmp_path)
    assert other != path and other.parent.parent == path.parent.parent
    with pytest.raises(ValueError, match="statements"):
        dashboard.evidence_json(ev, {"t.a": "a"}, {}, {}, seed=0)
    with pytest.raises(ValueError, match="name"):
        dashboard.write_json(doc, tmp_path, "../x.json")
