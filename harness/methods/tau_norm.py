"""tau-norm (Table 1 row 12; docs/paper-release-and-us.md#transferred-methods): no training; every classifier row,
background included (as the release's test script does), divided by its L2 norm to the power tau; bias kept.
The paper does not give tau: we choose it among ``taus`` by box AP on a held-out split of train,
predicted by a baseline trained without that split, and record the choice and every score.

A single candidate is a fixed tau: nothing is chosen, so the run needs no held-out split and no
baseline trained without it (run ``tau_norm_release``: tau = 1, docs/paper-release-and-us.md,
"tau-norm: tau = 1 and the background row").
"""

from harness.methods.base import Method, Option, numbers

DEFAULT_TAUS = "0 0.25 0.5 0.75 1 1.25 1.5 2"
TAUS_OPTION = Option("candidate tau values, space-separated (0 0.25 ... 2); one value: tau fixed, no held-out "
                     "selection", numbers(0))


def parse_taus(options: dict) -> list[float]:
    return TAUS_OPTION.parse(options.get("taus", DEFAULT_TAUS))


def selects_tau(options: dict) -> bool:
    """Whether ``taus`` leaves a choice (more than one candidate) to make on held-out data."""
    return len(parse_taus(options)) > 1


def normalise_classifier(model, tau: float) -> None:
    from harness.algorithms.tau_norm import tau_normalise

    fc_cls = model.roi_head.bbox_head.fc_cls
    fc_cls.weight.data.copy_(tau_normalise(fc_cls.weight.data, tau))


def choose_and_apply(model, options: dict, context, apply) -> dict:
    """Choose tau by held-out AP of ``apply(model, tau)`` and apply it to ``model``; a single
    candidate is applied as it is, without the held-out split."""
    from harness.algorithms.tau_norm import choose_tau

    taus = parse_taus(options)
    if len(taus) == 1:
        apply(model, taus[0], context)
        return {"tau": taus[0], "tau_fixed": True}
    if context.heldout_ap is None:
        raise ValueError("choosing tau needs a held-out split (--select-init and --select-ann)")
    tau, table = choose_tau(taus, lambda t: context.heldout_ap(lambda m: apply(m, t, context)))
    apply(model, tau, context)
    return {"tau": tau, "heldout_ap": {str(t): round(v, 5) for t, v in table.items()}}


METHOD = Method(
    name="tau_norm",
    description="classifier rows divided by their norm^tau, tau chosen on held-out train (paper Table 1, row 12)",
    needs_init=True,
    posthoc=lambda model, options, context: choose_and_apply(
        model, options, context, lambda m, tau, ctx: normalise_classifier(m, tau)),
    selects_on_heldout=selects_tau,
    options={"taus": TAUS_OPTION},
)
