"""The plain detector: softmax cross-entropy over all categories and background (Table 1 row 1)."""

from harness.methods.base import Method

METHOD = Method(name="baseline", description="Faster R-CNN with softmax cross-entropy (paper Table 1, row 1)")
