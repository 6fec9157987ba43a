"""Plausible wrong backward passes for the layers claims (each is rejected in tests/test_mutations.py).

Each candidate has the signature of the pass it replaces: ``(dout, cache) -> gradients`` for a
layer, ``(x, y) -> (loss, dx)`` for the softmax loss, a network class for the networks.
tests/test_gradcheck.py also checks that the gradient faults are localized to their block.
"""

import numpy as np

from derivations import layers as L

# --- affine ----------------------------------------------------------------------------------


def affine_dx_not_reshaped(dout, cache):
    x, w, b = cache
    dx, dw, db = L.affine_backward(dout, cache)
    return dout @ w.T, dw, db


def affine_db_wrong_axis(dout, cache):
    dx, dw, db = L.affine_backward(dout, cache)
    return dx, dw, dout.sum(axis=1)


def affine_dw_mean(dout, cache):
    dx, dw, db = L.affine_backward(dout, cache)
    return dx, dw / dout.shape[0], db


# --- ReLU ------------------------------------------------------------------------------------


def relu_kept_where_negative(dout, cache):
    return (dout.copy(),)


def relu_mask_inverted(dout, cache):
    return (dout * (cache <= 0),)


def relu_one_at_the_kink(dout, cache):
    # ReLU′(0) = 1: right away from 0, wrong at exact zeros (torch's ReLU′(0) is 0).
    return (relu_one_at_the_kink_array(dout, cache),)


def relu_one_at_the_kink_array(dout, x):
    return dout * (x >= 0)


def relu_half_at_the_kink(dout, cache):
    # ReLU′(0) = 1/2, the mean of the one-sided slopes: what a centered difference returns.
    return (dout * ((cache > 0) + 0.5 * (cache == 0)),)


# --- softmax loss ----------------------------------------------------------------------------


def softmax_unshifted(x, y):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    dx = p.copy()
    dx[np.arange(len(y)), y] -= 1
    return loss, dx / len(y)


def softmax_not_divided_by_n(x, y):
    loss, dx = L.softmax_loss(x, y)
    return loss, dx * len(y)


def softmax_label_term_missing(x, y):
    loss, dx = L.softmax_loss(x, y)
    dx = dx.copy()
    dx[np.arange(len(y)), y] += 1 / len(y)
    return loss, dx


# --- convolution -----------------------------------------------------------------------------


def conv_unflipped_kernel(dout, cache):
    x, w, b, param = cache
    dx, dw, db = L.conv_backward(dout, cache)
    # conv_input_gradient rotates the kernel it is given: rotating first undoes the flip.
    return L.conv_input_gradient(dout, w[:, :, ::-1, ::-1], param, x.shape), dw, db


def conv_no_dilation(dout, cache):
    # dout's entries stay next to each other: the full correlation of undilated dout with the
    # rotated kernel, cropped (or zero-filled) to x's size.
    x, w, b, param = cache
    dx, dw, db = L.conv_backward(dout, cache)
    hh, ww = w.shape[2:]
    d = np.pad(dout, ((0, 0), (0, 0), (hh - 1, hh - 1), (ww - 1, ww - 1)))
    windows = np.lib.stride_tricks.sliding_window_view(d, (hh, ww), axis=(2, 3))
    full = np.einsum("nfhwij,fcij->nchw", windows, w[:, :, ::-1, ::-1])
    pad, (h, wd) = param["pad"], x.shape[2:]
    wrong = np.zeros((*x.shape[:2], h + 2 * pad, wd + 2 * pad))
    rows, cols = min(full.shape[2], wrong.shape[2]), min(full.shape[3], wrong.shape[3])
    wrong[:, :, :rows, :cols] = full[:, :, :rows, :cols]
    return wrong[:, :, pad : pad + h, pad : pad + wd], dw, db


def conv_remainder_at_the_start(dout, cache):
    # When the stride does not divide n + 2p − k, the rows no window reached are the last ones;
    # putting those zero rows first shifts dx by the remainder.
    x, w, b, param = cache
    dx, dw, db = L.conv_backward(dout, cache)
    s, pad = param["stride"], param["pad"]
    hh, ww = w.shape[2:]
    d = L.dilate(dout, s)
    extra_h = x.shape[2] + 2 * pad - hh + 1 - d.shape[2]
    extra_w = x.shape[3] + 2 * pad - ww + 1 - d.shape[3]
    d = np.pad(d, ((0, 0), (0, 0), (hh - 1 + extra_h, hh - 1), (ww - 1 + extra_w, ww - 1)))
    windows = np.lib.stride_tricks.sliding_window_view(d, (hh, ww), axis=(2, 3))
    full = np.einsum("nfhwij,fcij->nchw", windows, w[:, :, ::-1, ::-1])
    return full[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]], dw, db


def conv_db_wrong_axes(dout, cache):
    dx, dw, db = L.conv_backward(dout, cache)
    return dx, dw, dout.sum(axis=(0, 1, 2))


# --- max pooling -----------------------------------------------------------------------------


def _pool_route(dout, cache, pick):
    """Route each window's gradient to entry ``pick(window)`` (row-major index in the window),
    on the same padded, floored windows as the layer, so only the routing rule differs."""
    x, p = cache
    ph, pw, s, pad = p["pool_height"], p["pool_width"], p["stride"], p.get("pad", 0)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    dx = np.zeros_like(xp)
    n, c, ho, wo = dout.shape
    planes = np.arange(n)[:, None], np.arange(c)[None, :]
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * s : i * s + ph, j * s : j * s + pw].reshape(n, c, -1)
            r, q = np.divmod(pick(window), pw)
            np.add.at(dx, (*planes, i * s + r, j * s + q), dout[:, :, i, j])
    return (dx[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]],)


def pool_ties_to_last_maximum(dout, cache):
    # Right wherever the maximum is unique; at a tie the last maximum in row-major order
    # takes the gradient, where torch's CPU kernel gives it to the first.
    return _pool_route(dout, cache, lambda w: w.shape[-1] - 1 - w[..., ::-1].argmax(axis=-1))


def pool_ties_split_evenly(dout, cache):
    # At a tie each of the k tied maxima gets 1/k of the gradient (the mean subgradient).
    x, p = cache
    ph, pw, s, pad = p["pool_height"], p["pool_width"], p["stride"], p.get("pad", 0)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    dx = np.zeros_like(xp)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = xp[:, :, i * s : i * s + ph, j * s : j * s + pw]
            top = window == window.max(axis=(2, 3), keepdims=True)
            share = dout[:, :, i, j][:, :, None, None] / top.sum(axis=(2, 3), keepdims=True)
            dx[:, :, i * s : i * s + ph, j * s : j * s + pw] += top * share
    return (dx[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]],)


def pool_to_minimum(dout, cache):
    return _pool_route(dout, cache, lambda w: w.argmin(axis=-1))


def pool_to_first_element(dout, cache):
    x, p = cache
    pad = p.get("pad", 0)
    # the window's first entry of x (not of the padding)
    return _pool_route(dout, cache, lambda w: np.full(w.shape[:2], pad * p["pool_width"] + pad))


def pool_spread_evenly(dout, cache):
    x, p = cache
    up = np.repeat(np.repeat(dout, p["pool_height"], axis=2), p["pool_width"], axis=3)
    return (up / (p["pool_height"] * p["pool_width"]),)


# --- batch normalization ---------------------------------------------------------------------


def bn_missing_mean_terms(dout, cache):
    x_hat, gamma, sigma = cache
    dx, dgamma, dbeta = L.batchnorm_backward(dout, cache)
    return gamma / sigma * dout, dgamma, dbeta


def bn_missing_variance_term(dout, cache):
    x_hat, gamma, sigma = cache
    n = dout.shape[0]
    dx, dgamma, dbeta = L.batchnorm_backward(dout, cache)
    return gamma / (n * sigma) * (n * dout - dout.sum(axis=0)), dgamma, dbeta


def bn_dgamma_dbeta_swapped(dout, cache):
    dx, dgamma, dbeta = L.batchnorm_backward(dout, cache)
    return dx, dbeta, dgamma


def _spatial(wrong):
    def backward(dout, cache):
        inner, shape = cache
        n, c, h, w = shape
        d2 = dout.transpose(0, 2, 3, 1).reshape(-1, c)
        dx, dgamma, dbeta = wrong(d2, inner)
        return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta

    return backward


def spatial_bn_batch_size_n_only(dout, cache):
    inner, (n, c, h, w) = cache
    x_hat, gamma, sigma = inner
    dx, dgamma, dbeta = L.spatial_batchnorm_backward(dout, cache)
    d2 = dout.transpose(0, 2, 3, 1).reshape(-1, c)
    # the sums run over all N·H·W rows, but the count used is N
    wrong = gamma / (n * sigma) * (n * d2 - d2.sum(axis=0) - x_hat * (d2 * x_hat).sum(axis=0))
    return wrong.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta


# --- dropout ---------------------------------------------------------------------------------


def dropout_not_rescaled(dout, cache):
    mask, _ = cache
    return (dout * (mask > 0),)


def dropout_mask_ignored(dout, cache):
    return (dout.copy(),)


def dropout_scaled_by_keep(dout, cache):
    mask, param = cache
    keep = 1 - param["p"]
    return (dout * (mask > 0) * keep,)


# --- networks --------------------------------------------------------------------------------


def _half_reg(base):
    class HalfRegGradient(base):
        def loss(self, X, y=None):
            out = super().loss(X, y)
            if y is None:
                return out
            loss, grads = out
            for k in grads:
                if k.startswith("W"):
                    grads[k] = grads[k] - 0.5 * self.reg * self.params[k]
            return loss, grads

    return HalfRegGradient


def _no_reg_loss(base):
    class RegMissingFromLoss(base):
        def loss(self, X, y=None):
            out = super().loss(X, y)
            if y is None:
                return out
            loss, grads = out
            weights = [v for k, v in self.params.items() if k.startswith("W")]
            return loss - 0.5 * self.reg * sum(float(np.sum(w * w)) for w in weights), grads

    return RegMissingFromLoss


def _with(base, **layers):
    return type(f"Faulty{base.__name__}", (base,), {k: staticmethod(v) for k, v in layers.items()})


def _net_mutations(base):
    return {
        "L2 gradient 0.5·reg·W": _half_reg(base),
        "L2 term missing from the loss": _no_reg_loss(base),
        "ReLU gradient kept where x ≤ 0": _with(base, relu_backward=lambda dout, x: dout),
        "db summed over the wrong axis": _with(
            base, affine_backward=lambda d, c: affine_db_wrong_axis(d, c)
        ),
    }


LAYER_MUTATIONS = {
    "affine": {
        "dx not reshaped to x's shape": affine_dx_not_reshaped,
        "db summed over the wrong axis": affine_db_wrong_axis,
        "dw averaged over the batch": affine_dw_mean,
    },
    "relu": {
        "gradient kept where x ≤ 0": relu_kept_where_negative,
        "mask inverted": relu_mask_inverted,
    },
    "softmax_loss": {
        "no max shift (e^x overflows)": softmax_unshifted,
        "dx not divided by N": softmax_not_divided_by_n,
        "the −1 at the label forgotten": softmax_label_term_missing,
    },
    "conv": {
        "dx with an unflipped kernel": conv_unflipped_kernel,
        "dout not dilated by the stride": conv_no_dilation,
        "rows no window reached put first": conv_remainder_at_the_start,
        "db summed over the wrong axes": conv_db_wrong_axes,
    },
    "max_pool": {
        "gradient routed to the window's minimum": pool_to_minimum,
        "gradient routed to the window's first element": pool_to_first_element,
        "gradient spread evenly (average pooling)": pool_spread_evenly,
    },
    "batchnorm": {
        "dx missing the mean terms": bn_missing_mean_terms,
        "dx missing the x̂ Σ dout x̂ term": bn_missing_variance_term,
        "dgamma and dbeta swapped": bn_dgamma_dbeta_swapped,
    },
    "spatial_batchnorm": {
        "dx missing the mean terms": _spatial(bn_missing_mean_terms),
        "N instead of N·H·W in dx": spatial_bn_batch_size_n_only,
    },
    "dropout": {
        "not rescaled by 1/(1 - p)": dropout_not_rescaled,
        "mask ignored": dropout_mask_ignored,
        "scaled by 1 - p": dropout_scaled_by_keep,
    },
    "two_layer_net": _net_mutations(L.TwoLayerNet),
    "fc_net": _net_mutations(L.FullyConnectedNet),
}

#: Wrong only at a kink or a tie: the finite-difference claims never see one (a centered
#: difference there is no derivative), so these are for the autograd claims alone.
KINK_MUTATIONS = {
    "relu": {
        "ReLU′(0) = 1 (mask x ≥ 0)": relu_one_at_the_kink,
        "ReLU′(0) = 1/2": relu_half_at_the_kink,
    },
    "max_pool": {
        "ties routed to the last maximum": pool_ties_to_last_maximum,
        "ties split evenly": pool_ties_split_evenly,
    },
    **{
        net: {"ReLU′(0) = 1 (mask x ≥ 0)": _with(base, relu_backward=relu_one_at_the_kink_array)}
        for net, base in (("two_layer_net", L.TwoLayerNet), ("fc_net", L.FullyConnectedNet))
    },
}

WRONG_ANSWERS = {
    f"layers.{name}.{kind}": muts | (KINK_MUTATIONS.get(name, {}) if kind == "autograd" else {})
    for name, muts in LAYER_MUTATIONS.items()
    for kind in ("autograd", "finite_difference")
}
