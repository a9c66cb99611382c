"""Every mmdet/mmengine plug-in of the harness (layers, losses, heads, samplers, hooks), registered in
mmdet's registries on import; thin wrappers around the framework-free functions of
:mod:`harness.algorithms`."""

from harness.models.bags_loss import BAGSLoss
from harness.models.focal_loss import SoftmaxHeadFocalLoss
from harness.models.freeze_hook import FreezeExceptHook
from harness.models.mask_paste import install as install_small_image_mask_paste
from harness.models.posthoc_heads import NCMBBoxHead, TauSelectBBoxHead
from harness.models.roi_align import SeparableRoIAlign, register_in_mmcv_ops
from harness.models.roi_chunks import install as install_mask_heads_in_roi_chunks
from harness.models.samplers import RepeatFactorSampler
from harness.models.train_hooks import EpochJsonLogHook, ProcessTimeHook, RandomStateHook

register_in_mmcv_ops()
install_small_image_mask_paste()
install_mask_heads_in_roi_chunks()

__all__ = ["BAGSLoss", "EpochJsonLogHook", "FreezeExceptHook", "NCMBBoxHead", "ProcessTimeHook", "RandomStateHook",
           "RepeatFactorSampler", "SeparableRoIAlign", "SoftmaxHeadFocalLoss", "TauSelectBBoxHead"]
