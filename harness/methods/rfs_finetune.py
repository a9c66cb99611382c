"""RFS fine-tune (Table 1 row 5; docs/paper-release-and-us.md#transferred-methods): repeat factor sampling as in
:mod:`rfs`, but starting from the trained baseline; all parameters, the baseline's schedule."""

from harness.methods import rfs
from harness.methods.base import Method

METHOD = Method(
    name="rfs_finetune",
    description="the baseline fine-tuned with repeat factor sampling (paper Table 1, row 5)",
    needs_init=True,
    configure_training=rfs.configure_training,
    options=rfs.METHOD.options,
)
