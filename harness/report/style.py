"""One look for the report's data plots (Figures 1, 3, 4, the long-tail figure, the error analysis):
seaborn's ``whitegrid`` style at a slightly reduced ``notebook`` scale. Figure 2 is a diagram and keeps
matplotlib's plain look.

Figures must be created inside :func:`plot_style`: seaborn's style applies to the axes made under it.
seaborn is imported here, on first use, so that the stages that draw nothing do not pay for it.
"""

import contextlib


@contextlib.contextmanager
def plot_style(font_scale: float = 0.85):
    """Context manager: matplotlib's rc parameters set to seaborn's whitegrid style while it is open."""
    import seaborn as sns

    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=font_scale):
        yield


def counts_axis_without_grid(counts_axis) -> None:
    """A twin axis of train counts draws no grid of its own (the main axis's grid is the one read)."""
    counts_axis.grid(False)
