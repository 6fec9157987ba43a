"""The on-disk cache of derivation checks and claim evidence: looked up, never stale.

Each test points ``DV_CACHE_DIR`` at its own temporary directory. A "changed source" is made
by wrapping :func:`derivations.cache.file_digest` so that one file reads as edited: the key is
still built by the real code, from the real list of files, and only that file's digest moves.
"""

import dataclasses
import pickle

import pytest
import sympy as sp

from derivations import cache, core
from derivations import ridge as rd
from derivations.core import Derivation, Step, check_key
from derivations.functions import GaussianMean, sigmoid
from verify import claims
from verify.evidence import Evidence, Witness

x = sp.Symbol("x", real=True)
#: A fast claim whose evidence carries a witness with a point.
CLAIM = "activations.tanh.derivative"


@pytest.fixture
def store(tmp_path, monkeypatch):
    folder = tmp_path / "dv_cache"
    monkeypatch.setenv(cache.ENV, str(folder))
    return folder


def _entries(folder, kind):
    return sorted((folder / kind).glob("*.pkl")) if (folder / kind).exists() else []


def _edited(monkeypatch, suffix: str):
    """Make every file whose path ends with ``suffix`` read as edited."""
    real = cache.file_digest

    def digest(path):
        d = real(path)
        return "edited-" + d if str(path).endswith(suffix) else d

    monkeypatch.setattr(cache, "file_digest", digest)


def _counting(monkeypatch, owner, name):
    """Count calls to ``owner.name`` (still calling it)."""
    calls = []
    real = getattr(owner, name)

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return calls


def sample():
    """Proved, numeric-only and failed steps, through a project class (sigmoid)."""
    return Derivation(
        "cache sample",
        [x],
        [
            Step(sigmoid(x), "definition"),
            Step(1 / (1 + sp.exp(-x)), "rewrite"),
            Step(sp.Abs(x) / x / (1 + sp.exp(-x)), "numeric only"),
            Step(2 / (1 + sp.exp(-x)), "slip"),
        ],
        domain={x: (0.5, 2)},
        points=5,
    )


# --- (a) a cached report is the report -----------------------------------------------------


def test_a_cached_check_returns_the_uncached_report(store, monkeypatch):
    monkeypatch.delenv(cache.ENV)
    fresh = sample().check()
    assert [s.status for s in fresh.steps] == ["proved", "numeric-only", "failed"]
    monkeypatch.setenv(cache.ENV, str(store))
    first = sample().check()
    assert len(_entries(store, "derivation")) == 1
    # the second call must not check anything: every step would fail
    monkeypatch.setattr(Derivation, "check_step", lambda *a, **k: pytest.fail("recomputed"))
    again = sample().check()
    assert again == first == fresh
    assert str(again) == str(fresh)


def test_a_real_derivation_through_gaussian_mean_is_cached(store, monkeypatch):
    derivation = rd.quadratic_form_mean(2)
    first = derivation.check()
    assert first.ok and len(_entries(store, "derivation")) == 1
    monkeypatch.setattr(Derivation, "check_step", lambda *a, **k: pytest.fail("recomputed"))
    assert derivation.check() == first


# --- (b) whatever can change the verdict is in the key ---------------------------------------


def _variants():
    """(what changed, the changed derivation, the one it differs from)."""
    base = sample()
    steps = list(base.steps)
    slip = Step(3 / (1 + sp.exp(-x)), "slip")
    yield "a step", dataclasses.replace(base, steps=[*steps[:-1], slip]), base
    reason = Step(steps[-1].expr, "other")
    yield "a reason", dataclasses.replace(base, steps=[*steps[:-1], reason]), base
    yield "the domain", dataclasses.replace(base, domain={x: (0.5, 2.5)}), base
    yield "the points", dataclasses.replace(base, points=6), base
    yield "the title", dataclasses.replace(base, title="renamed"), base
    y = sp.Symbol("x", positive=True)  # same name, other assumptions
    renamed = [Step(s.expr.xreplace({x: y}), s.reason) for s in steps]
    yield (
        "a symbol's assumptions",
        Derivation(base.title, [y], renamed, {y: (0.5, 2)}, points=5),
        base,
    )

    def applied(f):
        return Derivation("f", [x], [Step(f(x), "given"), Step(f(x), "same")])

    f, g = sp.Function("f"), sp.Function("f", positive=True)
    yield "a function's assumptions", applied(g), applied(f)


@pytest.mark.parametrize("what", [w for w, _, _ in _variants()])
def test_changing_an_input_is_a_miss(what):
    changed, reference = {w: (c, r) for w, c, r in _variants()}[what]
    assert check_key(changed) != check_key(reference)
    assert check_key(reference) == check_key(reference)


def test_changing_the_seed_is_a_miss_and_each_seed_is_kept(store):
    sample().check(seed=0)
    sample().check(seed=1)
    assert len(_entries(store, "derivation")) == 2


def test_the_source_of_a_class_in_the_expressions_is_in_the_key(monkeypatch):
    plain = Derivation("plain", [x], [Step(x + x, "given"), Step(2 * x, "sum")])
    before = check_key(sample()), check_key(plain)
    _edited(monkeypatch, "derivations/functions.py")
    assert check_key(sample()) != before[0]  # it holds sigmoid
    assert check_key(plain) == before[1]  # it holds no class of that file


def test_the_checker_source_is_in_the_key(monkeypatch):
    before = check_key(sample())
    _edited(monkeypatch, "derivations/core.py")
    assert check_key(sample()) != before


def test_editing_ridge_elsewhere_keeps_its_derivations_but_not_its_classes(monkeypatch):
    assert rd.GaussianMean is GaussianMean  # the old import path still works
    derivation = rd.quadratic_form_mean(2)
    before = check_key(derivation)
    _edited(monkeypatch, "derivations/ridge.py")
    assert check_key(derivation) == before
    _edited(monkeypatch, "derivations/functions.py")  # where GaussianMean lives
    assert check_key(derivation) != before


def test_a_class_from_outside_the_project_and_libraries_is_not_cached(store):
    # as if typed in a notebook cell: its code could change without any file changing
    methods = {"__module__": "__main__", "nargs": 1,
               "_eval_evalf": lambda self, prec: (2 * self.args[0])._eval_evalf(prec)}  # fmt: skip
    cell = type("Twice", (sp.Function,), methods)
    d = Derivation("cell", [x], [Step(cell(x), "given"), Step(2 * x, "its definition")])
    assert check_key(d) is None
    assert d.check().counts()["numeric-only"] == 1
    assert not store.exists()


def test_a_miss_is_recomputed_and_kept_under_its_own_key(store, monkeypatch):
    sample().check()
    calls = _counting(monkeypatch, Derivation, "check_step")
    _edited(monkeypatch, "derivations/functions.py")
    sample().check()
    assert len(calls) == 3 and len(_entries(store, "derivation")) == 2


# --- (c) a corrupt entry is ignored and rewritten --------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pickle", "truncated", "another key", "wrong type", "old format"],
)
def test_a_corrupt_entry_is_recomputed(store, monkeypatch, content):
    first = sample().check()
    (entry,) = _entries(store, "derivation")
    digest = entry.stem
    whole = entry.read_bytes()
    content = {
        "truncated": whole[: len(whole) // 2],
        "another key": pickle.dumps((cache.FORMAT, "0" * 64, first)),
        "wrong type": pickle.dumps((cache.FORMAT, digest, "a string")),
        "old format": pickle.dumps((cache.FORMAT - 1, digest, first)),
    }.get(content, content)
    entry.write_bytes(content)
    calls = _counting(monkeypatch, Derivation, "check_step")
    assert sample().check() == first
    assert len(calls) == 3
    assert cache.lookup("derivation", digest, core.CheckReport) == first  # rewritten whole


def test_writing_leaves_no_temporary_file(store):
    sample().check()
    sample().check(seed=3)
    assert [p.suffix for p in (store / "derivation").iterdir()] == [".pkl", ".pkl"]


# --- (d) claim evidence ----------------------------------------------------------------------


def _same(a: Evidence, b: Evidence):
    for f in dataclasses.fields(Evidence):
        assert getattr(a, f.name) == getattr(b, f.name), f.name


def test_claim_evidence_round_trips_with_its_witness(store, monkeypatch):
    first = claims.check_one(CLAIM)
    assert first.passed and isinstance(first.witness, Witness) and first.witness.point
    assert len(_entries(store, "evidence")) == 1
    monkeypatch.setattr(claims.Claim, "check", lambda *a, **k: pytest.fail("recomputed"))
    again = claims.check_one(CLAIM)
    _same(again, first)
    assert isinstance(again.witness, Witness)
    assert again.witness.point == first.witness.point


def test_cached_looks_up_without_checking(store, monkeypatch):
    assert claims.cached(CLAIM) is None
    first = claims.check_one(CLAIM)
    monkeypatch.setattr(claims.Claim, "check", lambda *a, **k: pytest.fail("checked"))
    _same(claims.cached(CLAIM), first)
    assert claims.cached(CLAIM, seed=1) is None


def test_failing_evidence_is_cached_too(store, monkeypatch):
    def failing(self, candidate=None, *, seed=0):
        return Evidence(self.id, self.method, False, seed=seed, message="a counterexample",
                        witness=Witness({"x": 1.0}, 2.0, 3.0))  # fmt: skip

    monkeypatch.setattr(claims.Claim, "check", failing)
    first = claims.check_one(CLAIM)
    monkeypatch.setattr(claims.Claim, "check", lambda *a, **k: pytest.fail("recomputed"))
    _same(claims.check_one(CLAIM), first)
    assert not first.passed


def test_a_check_that_raises_is_not_cached(store, monkeypatch):
    def broken(self, candidate=None, *, seed=0):
        raise RuntimeError("boom")

    monkeypatch.setattr(claims.Claim, "check", broken)
    evidence = claims.check_one(CLAIM)
    assert not evidence.passed and "boom" in evidence.message
    assert _entries(store, "evidence") == []


@pytest.mark.parametrize(
    ("edited", "missed"),
    [
        ("verify/activations/__init__.py", True),  # the claim's own topic
        ("derivations/activations.py", True),
        ("verify/evidence.py", True),  # shared machinery
        ("derivations/core.py", True),
        ("verify/ridge.py", False),  # another topic
        ("derivations/mlp/key.py", False),
        ("verify/bench/book.py", False),  # not part of any check
    ],
)
def test_changing_a_source_misses_exactly_when_it_is_in_the_column_or_shared(
    store, monkeypatch, edited, missed
):
    claims.check_one(CLAIM)
    calls = _counting(monkeypatch, claims.Claim, "check")
    _edited(monkeypatch, edited)
    claims.check_one(CLAIM)
    assert len(calls) == (1 if missed else 0)


def test_each_seed_is_its_own_entry(store):
    a, b = claims.check_one(CLAIM, 0), claims.check_one(CLAIM, 1)
    assert (a.seed, b.seed) == (0, 1) and len(_entries(store, "evidence")) == 2


def test_a_claim_declared_outside_the_columns_is_not_cached(store):
    outside = claims.Claim(
        "activations.cache_test", "activations", "declared in a test", "exact",
        lambda candidate, seed: Evidence(passed=True), answer="number", derived=lambda: 1,
    )  # fmt: skip
    assert claims.evidence_key(outside) is None


def test_no_topic_imports_another():
    for topic in claims.TOPICS:
        names = {p.as_posix() for p in claims.evidence_files(topic)}
        others = {
            n
            for n in names
            for t in claims.TOPICS
            if t != topic and n.split("/")[1:2] in ([t], [f"{t}.py"])
        }
        assert not others, f"{topic} imports {sorted(others)}"


# --- (e) no cache directory, no cache ----------------------------------------------------------


def test_without_the_variable_nothing_is_read_or_written(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    looked = _counting(monkeypatch, cache, "lookup")
    stored = _counting(monkeypatch, cache, "store")
    first = sample().check()
    calls = _counting(monkeypatch, Derivation, "check_step")
    assert sample().check() == first and len(calls) == 3
    assert claims.check_one(CLAIM).passed
    assert looked == [] and stored == []
    assert list(tmp_path.iterdir()) == []


def test_the_helpers_refuse_bad_arguments(store):
    with pytest.raises(ValueError, match="kind"):
        cache.lookup("no such/kind", cache.key(["x"]), int)
    with pytest.raises(TypeError, match="expected"):
        cache.lookup("demo", cache.key(["x"]), "int")
    with pytest.raises(TypeError, match="parts"):
        cache.key("text")
    with pytest.raises(TypeError, match="paths"):
        cache.import_closure("derivations/core.py")


def test_a_library_installed_inside_the_root_is_not_project_code(tmp_path, monkeypatch):
    """A virtual environment in the project folder (as on a fresh clone) holds SymPy: its
    files are a library's, keyed by its version, not project sources."""
    import sys
    import types

    from derivations import cache

    inside = tmp_path / ".venv" / "lib" / "sympy" / "fake.py"
    inside.parent.mkdir(parents=True)
    inside.write_text("x = 1\n")
    module = types.ModuleType("sympy.fake_for_test")
    module.__file__ = str(inside)
    monkeypatch.setitem(sys.modules, "sympy.fake_for_test", module)
    fake = type("Fake", (), {"__module__": "sympy.fake_for_test"})
    assert cache.class_files([fake], root=tmp_path) == set()
    own = tmp_path / "derivations" / "mine.py"
    own.parent.mkdir()
    own.write_text("y = 2\n")
    mine = types.ModuleType("derivations.mine_for_test")
    mine.__file__ = str(own)
    monkeypatch.setitem(sys.modules, "derivations.mine_for_test", mine)
    ours = type("Ours", (), {"__module__": "derivations.mine_for_test"})
    assert own.resolve() in cache.class_files([ours], root=tmp_path)
