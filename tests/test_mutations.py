"""Every claim must reject plausible wrong answers (DESIGN rule 2).

Each topic keeps its wrong answers beside its claims, as ``verify.<topic>.WRONG_ANSWERS``:
claim id -> {label: candidate}. A candidate is whatever that claim's answer kind is (an
expression, a number, a function standing in for the derived code).
"""

import pytest

from derivations.topics import TOPICS
from verify import claims

MUTATIONS: dict = {}
for _topic in TOPICS:
    for _cid, _muts in claims.wrong_answers(_topic).items():
        MUTATIONS.setdefault(_cid, {}).update(_muts)

CASES = [(cid, label, cand) for cid, muts in MUTATIONS.items() for label, cand in muts.items()]


@pytest.mark.parametrize(
    ("claim_id", "label", "candidate"), CASES, ids=[f"{c}:{lab}" for c, lab, _ in CASES]
)
def test_wrong_answer_is_rejected(claim_id, label, candidate):
    evidence = claims.get(claim_id).check(candidate)
    assert not evidence.passed, f"{label} was accepted: {evidence.message}"
    raised = evidence.message.startswith(("the backward raised", "the network raised"))
    assert raised or evidence.witness is not None, f"{claim_id} shows no witness for {label}"


def test_every_claim_has_two_mutations():
    missing = [c.id for c in claims.all() if len(MUTATIONS.get(c.id, {})) < 2]
    assert not missing, f"claims without two plausible wrong answers: {missing}"


def test_every_mutation_names_a_registered_claim():
    known = {c.id for c in claims.all()}
    assert set(MUTATIONS) <= known, sorted(set(MUTATIONS) - known)


def test_every_topic_keeps_its_wrong_answers_beside_its_claims():
    for topic in TOPICS:
        assert claims.wrong_answers(topic), f"verify.{topic} has no WRONG_ANSWERS"
