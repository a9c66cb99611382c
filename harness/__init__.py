"""bags-harness: a Snakemake-driven reproduction of BAGS (Li et al., CVPR 2020) for long-tail detection."""

__version__ = "0.1.0"
