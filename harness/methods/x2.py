"""x2 (Table 1 row 2): the trained baseline trained again for a whole schedule, all parameters, the
identical schedule (warm-up, lr, steps): the paper's "12 more epochs" on a 12-epoch baseline."""

from harness.methods.base import Method

METHOD = Method(
    name="x2",
    description="the baseline trained one more schedule, all parameters (paper Table 1, row 2)",
    needs_init=True,
)
