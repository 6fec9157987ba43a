"""Initialization: how the second moment travels through a deep network, and what keeps it.

For ``u_l = W_l φ(u_{l-1})`` with i.i.d. zero-mean weights of variance ``σ²``, independent of
``u_{l-1}``, every pre-activation has ``𝔼[u_l[i]²] = d σ² 𝔼[φ(u_{l-1}[j])²]``. The derivations
(:mod:`.chains`) prove that step, the ReLU factor ½ twice (by symmetry, and by the Gaussian
integral), ``σ = sqrt(2/d)``, the Xavier uniform bound and the Kaiming normal std. The closed
forms are plain functions (:mod:`.moments`); the tanh variance map is evaluated by numerical
quadrature, and the first float32 overflow layer of the unit-normal experiment by numerical
convolution (:mod:`.overflow`).

>>> round(xavier_uniform_bound(512, 512), 6), round(kaiming_normal_std(512), 6)
(0.076547, 0.0625)
>>> overflow_layer(512)
29
"""

from derivations.initialization.chains import (
    DERIVATIONS,
    E_relu2,
    Var_u,
    a,
    d,
    derivations,
    heat_equation,
    kaiming_sigma,
    n_in,
    n_out,
    p_u,
    q,
    relu_by_gaussian_integral,
    relu_by_symmetry,
    relu_layer_maps,
    s,
    sigma,
    u,
    uniform_variance,
    variance_propagation,
    x,
    xavier_bound,
)
from derivations.initialization.moments import (
    SCHEMES,
    SECOND_MOMENT,
    SHORT,
    expected_rms,
    finite_width_second_moments,
    kaiming_normal_std,
    log_std_moments,
    post_activation_moments,
    ratio_moments,
    second_moments,
    tanh_map_terms,
    variance_map,
    xavier_uniform_bound,
)
from derivations.initialization.overflow import (
    nan_bound_gap,
    nan_distribution,
    nan_layer,
    overflow_distribution,
    overflow_estimate,
    overflow_layer,
)

__all__ = [
    "DERIVATIONS",
    "E_relu2",
    "SCHEMES",
    "SECOND_MOMENT",
    "SHORT",
    "Var_u",
    "a",
    "d",
    "derivations",
    "expected_rms",
    "finite_width_second_moments",
    "heat_equation",
    "kaiming_normal_std",
    "kaiming_sigma",
    "log_std_moments",
    "n_in",
    "n_out",
    "nan_bound_gap",
    "nan_distribution",
    "nan_layer",
    "overflow_distribution",
    "overflow_estimate",
    "overflow_layer",
    "p_u",
    "post_activation_moments",
    "ratio_moments",
    "q",
    "relu_by_gaussian_integral",
    "relu_by_symmetry",
    "relu_layer_maps",
    "s",
    "second_moments",
    "sigma",
    "tanh_map_terms",
    "u",
    "uniform_variance",
    "variance_map",
    "variance_propagation",
    "x",
    "xavier_bound",
    "xavier_uniform_bound",
]
