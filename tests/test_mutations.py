"""Every claim must reject plausible wrong answers (DESIGN rule 2).

Each topic keeps its wrong answers in ``tests/mutations_<topic>.py`` as a dict ``MUTATIONS``:
claim id -> {label: candidate}. A candidate is whatever that claim's ``check`` accepts (an
expression, a number, a function standing in for the derived code).
"""

import importlib
from pathlib import Path

import pytest

from verify import claims

MODULES = sorted(p.stem for p in Path(__file__).parent.glob("mutations_*.py"))
MUTATIONS: dict = {}
for _name in MODULES:
    for _cid, _muts in importlib.import_module(_name).MUTATIONS.items():
        MUTATIONS.setdefault(_cid, {}).update(_muts)

CASES = [(cid, label, cand) for cid, muts in MUTATIONS.items() for label, cand in muts.items()]


@pytest.mark.parametrize(
    ("claim_id", "label", "candidate"), CASES, ids=[f"{c}:{lab}" for c, lab, _ in CASES]
)
def test_wrong_answer_is_rejected(claim_id, label, candidate):
    evidence = claims.get(claim_id).check(candidate)
    assert not evidence.passed, f"{label} was accepted: {evidence.message}"


def test_every_claim_has_two_mutations():
    missing = [c.id for c in claims.all() if len(MUTATIONS.get(c.id, {})) < 2]
    assert not missing, f"claims without two plausible wrong answers: {missing}"


def test_every_mutation_names_a_registered_claim():
    known = {c.id for c in claims.all()}
    assert set(MUTATIONS) <= known, sorted(set(MUTATIONS) - known)
