"""mmdet plug-ins of the harness (registered in mmdet's registries on import); thin wrappers around
the framework-free functions of :mod:`harness.algorithms`."""

from harness.engine.samplers import RepeatFactorSampler
from harness.models.bags_loss import BAGSLoss
from harness.models.focal_loss import SoftmaxHeadFocalLoss
from harness.models.freeze_hook import FreezeExceptHook
from harness.models.mask_paste import install as install_small_image_mask_paste
from harness.models.posthoc_heads import NCMBBoxHead, TauSelectBBoxHead
from harness.models.roi_align import SeparableRoIAlign, register_in_mmcv_ops
from harness.models.roi_chunks import install as install_mask_heads_in_roi_chunks

register_in_mmcv_ops()
install_small_image_mask_paste()
install_mask_heads_in_roi_chunks()

__all__ = ["BAGSLoss", "FreezeExceptHook", "NCMBBoxHead", "RepeatFactorSampler", "SeparableRoIAlign",
           "SoftmaxHeadFocalLoss", "TauSelectBBoxHead"]
