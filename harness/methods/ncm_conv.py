"""NCM-conv (Table 1 row 11): :mod:`ncm_fc` on the flattened RoIAlign feature (C x 7 x 7) instead."""

from harness.methods.base import Method
from harness.methods.ncm_fc import fill_class_means, ncm_configure

METHOD = Method(
    name="ncm_conv",
    description="nearest class mean on the RoIAlign features, no training (paper Table 1, row 11)",
    needs_init=True,
    configure=ncm_configure("conv"),
    posthoc=fill_class_means,
)
