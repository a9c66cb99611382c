# Mask R-CNN R50-FPN trained on COCO-LT (paper Sec. 5.5) in a real-data profile: mmdet's 1x COCO recipe
# from an ImageNet backbone, like faster_rcnn_r50_fpn.py beside it (see there for why not a COCO detector).
_base_ = "mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py"

IMAGENET = "data/pretrained/resnet50-0676ba61.pth"

model = dict(backbone=dict(init_cfg=dict(type="Pretrained", checkpoint=IMAGENET)))

train_dataloader = dict(batch_size=2, num_workers=2)
test_dataloader = dict(batch_size=1, num_workers=2)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_evaluator = None
auto_scale_lr = dict(enable=True, base_batch_size=16)
default_hooks = dict(checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=2))
