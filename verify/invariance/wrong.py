"""Plausible wrong answers for every claim of the invariance topic.

Among them the mutations of the issue: K without the Gᵀ…G sandwich, R = Σ Gᵀ where it
matters (with weights p_G ≠ p_{Gᵀ}: for equal weights on a group Σ Gᵀ = Σ G and the mutation
is the right answer, so it is not listed there), the identities on a set that is not a group
(a group with one element dropped), and the equivariant loss with G on one side only.

>>> sorted(WRONG_ANSWERS)[:2]
['invariance.equivariant', 'invariance.groups']
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from derivations import invariance as inv


def _elements(group):
    return [np.asarray(g, dtype=float) for g in group]


def _dropped(group):
    """The group without its last element: not closed (the last element is some product)."""
    return _elements(group)[:-1]


# --- the groups --------------------------------------------------------------------------
def _c4_three_turns(name):
    out = list(inv.GROUPS[name]().elements)
    return out[:3] if name == "c4" else out


def _transpose_as_turn(name):
    """The quarter turn written as new[i, j] = old[j, i] (a reflection): its powers repeat."""
    out = list(inv.GROUPS[name]().elements)
    if name != "c4":
        return out
    t = np.zeros((9, 9))
    for i in range(3):
        for j in range(3):
            t[i * 3 + j, j * 3 + i] = 1.0
    return [np.eye(9), t, t @ t, t @ t @ t]


def _flips_together(name):
    out = list(inv.GROUPS[name]().elements)
    return [np.eye(4), np.diag([-1.0, -1.0, 1.0, 1.0])] if name == "flips" else out


# --- Reynolds ----------------------------------------------------------------------------
def _reynolds_unnormalized(group):
    return sum(_elements(group))


def _reynolds_non_group(group):
    kept = _dropped(group)
    return sum(kept) / len(kept)


def _reynolds_off_by_one(group):
    return sum(_elements(group)) / (len(_elements(group)) - 1)


# --- the loss ----------------------------------------------------------------------------
def _loss_plain(w, X, y, group):
    return 0.5 * float(np.sum((y - X @ w) ** 2))


def _loss_non_group(w, X, y, group):
    return float(sum(0.5 * np.sum((y - X @ g.T @ w) ** 2) for g in _dropped(group)))


def _loss_mean(w, X, y, group):
    gs = _elements(group)
    return float(sum(0.5 * np.sum((y - X @ g.T @ w) ** 2) for g in gs)) / len(gs)


# --- the invariant solution --------------------------------------------------------------
def _no_sandwich(X, y, group):
    gs = _elements(group)
    K = len(gs) * X.T @ X  # Σ XᵀX: the Gᵀ…G around XᵀX forgotten
    return np.linalg.solve(K, sum(gs) @ X.T @ y)


def _ols(X, y, group):
    return np.linalg.lstsq(X, y, rcond=None)[0]


def _non_group_solution(X, y, group):
    gs = _dropped(group)
    K = sum(g.T @ X.T @ X @ g for g in gs)
    return np.linalg.solve(K, sum(gs) @ X.T @ y)


# --- K and R -----------------------------------------------------------------------------
def _km_no_sandwich(X, group):
    gs = _elements(group)
    return len(gs) * X.T @ X, sum(gs)


def _km_one_side(X, group):
    gs = _elements(group)
    return sum(X.T @ X @ g for g in gs), sum(gs)


def _km_non_group(X, group):
    gs = _dropped(group)
    return sum(g.T @ X.T @ X @ g for g in gs), sum(gs)


# --- the equivariant solution ------------------------------------------------------------
def _eq_input_side(X, Y, group):
    """½ Σ_G Σ_n ‖y − W G x‖²: G on the input only."""
    gs = _elements(group)
    K = sum(g @ X.T @ X @ g.T for g in gs)
    C = sum(Y.T @ X @ g.T for g in gs)
    return C @ np.linalg.inv(K)


def _eq_output_side(X, Y, group):
    """½ Σ_G Σ_n ‖G y − W x‖²: G on the target only."""
    gs = _elements(group)
    return sum(gs) @ Y.T @ X @ np.linalg.inv(len(gs) * X.T @ X)


def _eq_ols(X, Y, group):
    return np.linalg.lstsq(X, Y, rcond=None)[0].T


# --- weighted ----------------------------------------------------------------------------
def _weighted_transposed_R(X, y, group, weights):
    gs = _elements(group)
    K = sum(p * g @ X.T @ X @ g.T for p, g in zip(weights, gs, strict=True))
    R = sum(p * g.T for p, g in zip(weights, gs, strict=True))  # R = Σ p_G Gᵀ
    return np.linalg.solve(K, R @ X.T @ y)


def _weighted_transposed_K(X, y, group, weights):
    gs = _elements(group)
    K = sum(p * g.T @ X.T @ X @ g for p, g in zip(weights, gs, strict=True))
    R = sum(p * g for p, g in zip(weights, gs, strict=True))
    return np.linalg.solve(K, R @ X.T @ y)


def _weights_ignored(X, y, group, weights):
    return inv.invariant_solution(X, y, group)


# --- risks -------------------------------------------------------------------------------
s2, n, d, dG = sp.symbols("sigma2 n d dG")
_sigma = sp.sqrt(s2)

WRONG_ANSWERS = {
    "invariance.groups": {
        "C4 missing the 270° turn": _c4_three_turns,
        "the quarter turn written as a transpose (a reflection)": _transpose_as_turn,
        "sign flips of two coordinates together only": _flips_together,
    },
    "invariance.reynolds": {
        "Σ G without the 1/|G|": _reynolds_unnormalized,
        "averaged over a set that is not a group (one element dropped)": _reynolds_non_group,
        "divided by |G| − 1": _reynolds_off_by_one,
    },
    "invariance.loss": {
        "no augmentation: ½‖y − Xw‖²": _loss_plain,
        "summed over a set that is not a group (one element dropped)": _loss_non_group,
        "the mean over the group instead of the sum": _loss_mean,
    },
    "invariance.solution": {
        "K without the Gᵀ…G sandwich: K = |G| XᵀX": _no_sandwich,
        "plain OLS, no augmentation": _ols,
        "K and R over a set that is not a group": _non_group_solution,
    },
    "invariance.predictor": {
        "K without the Gᵀ…G sandwich: K = |G| XᵀX": _no_sandwich,
        "plain OLS, no augmentation": _ols,
        "K and R over a set that is not a group": _non_group_solution,
    },
    "invariance.identities.exact": {
        "K without the Gᵀ…G sandwich": _km_no_sandwich,
        "K with G on one side only: Σ XᵀX G": _km_one_side,
        "the identities on a set that is not a group": _km_non_group,
    },
    "invariance.identities.float": {
        "K without the Gᵀ…G sandwich": _km_no_sandwich,
        "K with G on one side only: Σ XᵀX G": _km_one_side,
        "the identities on a set that is not a group": _km_non_group,
    },
    "invariance.equivariant": {
        "the loss with G on the input side only": _eq_input_side,
        "the loss with G on the target side only": _eq_output_side,
        "plain least squares, no augmentation": _eq_ols,
    },
    "invariance.weighted": {
        "R = Σ p_G Gᵀ (matters: p_G ≠ p_{Gᵀ})": _weighted_transposed_R,
        "K = Σ p_G GᵀXᵀXG (the sandwich transposed; matters with weights)": _weighted_transposed_K,
        "the weights ignored": _weights_ignored,
    },
    "invariance.risk.ols": {
        "n − d instead of n − d − 1": s2 * d / (n - d),
        "σ instead of σ²": _sigma * d / (n - d - 1),
        "d_G instead of d": s2 * dG / (n - d - 1),
        "n − d + 1": s2 * d / (n - d + 1),
    },
    "invariance.risk.projected": {
        "d instead of d_G (plain OLS)": s2 * d / (n - d - 1),
        "n − d_G − 1 (the augmented denominator)": s2 * dG / (n - dG - 1),
        "n − d instead of n − d − 1": s2 * dG / (n - d),
        "σ instead of σ²": _sigma * dG / (n - d - 1),
    },
    "invariance.risk.augmented": {
        "n − d − 1 (the projected denominator)": s2 * dG / (n - d - 1),
        "n − d_G instead of n − d_G − 1": s2 * dG / (n - dG),
        "d instead of d_G": s2 * d / (n - dG - 1),
        "σ instead of σ²": _sigma * dG / (n - dG - 1),
    },
}
