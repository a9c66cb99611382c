"""tau-norm (Table 1 row 12; bags-reference.md 4.4): no training; every classifier row, background
included (as the release's test script does), divided by its L2 norm to the power tau; bias kept.
The paper does not give tau: we choose it among ``taus`` by box AP on a held-out split of train,
predicted by a baseline trained without that split, and record the choice and every score."""

from harness.methods.base import Method


def parse_taus(options: dict) -> list[float]:
    try:
        taus = [float(t) for t in options.get("taus", "0 0.25 0.5 0.75 1 1.25 1.5 2").split()]
    except ValueError:
        raise ValueError(f"taus is a space-separated list of numbers, got {options['taus']!r}") from None
    if not taus or any(t < 0 for t in taus):
        raise ValueError("taus must be non-negative numbers")
    return taus


def normalise_classifier(model, tau: float) -> None:
    from harness.algorithms.tau_norm import tau_normalise

    fc_cls = model.roi_head.bbox_head.fc_cls
    fc_cls.weight.data.copy_(tau_normalise(fc_cls.weight.data, tau))


def choose_and_apply(model, options: dict, context, apply) -> dict:
    """Choose tau by held-out AP of ``apply(model, tau)`` and apply it to ``model``."""
    from harness.algorithms.tau_norm import choose_tau

    if context.heldout_ap is None:
        raise ValueError("choosing tau needs a held-out split (--select-init and --select-ann)")
    tau, table = choose_tau(parse_taus(options), lambda t: context.heldout_ap(lambda m: apply(m, t, context)))
    apply(model, tau, context)
    return {"tau": tau, "heldout_ap": {str(t): round(v, 5) for t, v in table.items()}}


METHOD = Method(
    name="tau_norm",
    description="classifier rows divided by their norm^tau, tau chosen on held-out train (paper Table 1, row 12)",
    needs_init=True,
    posthoc=lambda model, options, context: choose_and_apply(
        model, options, context, lambda m, tau, ctx: normalise_classifier(m, tau)),
    selects_on_heldout=True,
    options={"taus": "candidate tau values, space-separated (0 0.25 ... 2)"},
)
