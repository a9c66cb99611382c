# Faster R-CNN with FPN, scaled for the embedded benchmark (64 px images, 2 CPU cores).
# Paper counterpart: configs/models/lvis/faster_rcnn_r50_fpn.py (R50-FPN, 1333x800, 12 epochs).
# The train stage fills in data paths, class names, num_classes, seed and work_dir.
_base_ = "mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py"

image_size = 64
batch_size = 8
# LVIS-shaped runs fine-tune this architecture trained on the balanced synthetic COCO (the paper's LVIS
# baselines start from COCO-trained detectors, docs/paper-release-and-us.md) with the paper's 1x schedule:
# 12 epochs, lr x0.1 after epochs 8 and 11. Batch-norm statistics come from the COCO training and stay
# fixed (mmdet's norm_eval=True), as in the paper's detectors.
max_epochs = 12

model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    backbone=dict(depth=18, base_channels=16, frozen_stages=-1, init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=64),
    rpn_head=dict(
        in_channels=64,
        feat_channels=64,
        anchor_generator=dict(scales=[2], ratios=[0.5, 1.0, 2.0], strides=[4, 8, 16, 32, 64]),
    ),
    roi_head=dict(
        # mmcv's RoIAlign as two matrix products (harness/models/roi_align.py): the same operator to float
        # rounding, several times faster on the stand-ins' small maps; every stand-in config uses it.
        bbox_roi_extractor=dict(out_channels=64, roi_layer=dict(type="SeparableRoIAlign", output_size=7, sampling_ratio=0)),
        bbox_head=dict(in_channels=64, fc_out_channels=256),
    ),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=500),
        rcnn=dict(sampler=dict(num=128)),
    ),
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=100),  # a 64 px image has about 1000 anchors in all
        # split_thr=0: NMS class by class (100 boxes each) rather than all 100 x C boxes at once with
        # per-class offsets (mmcv's default below 10000 boxes, quadratic in C): the same detections, the
        # order of equal scores aside; prediction 14 % faster on the default val set.
        rcnn=dict(score_thr=0.0, nms=dict(type="nms", iou_threshold=0.5, split_thr=0), max_per_img=300),
    ),
)

train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True),
    dict(type="Resize", scale=(image_size, image_size), keep_ratio=True),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackDetInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=(image_size, image_size), keep_ratio=True),
    dict(type="LoadAnnotations", with_bbox=True),
    dict(type="PackDetInputs", meta_keys=("img_id", "img_path", "ori_shape", "img_shape", "scale_factor")),
]
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type="DefaultSampler", shuffle=True),
    batch_sampler=dict(type="AspectRatioBatchSampler"),
    dataset=dict(type="LVISV05Dataset", pipeline=train_pipeline, filter_cfg=dict(filter_empty_gt=True, min_size=0)),
)
test_dataloader = dict(
    batch_size=batch_size,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type="LVISV05Dataset", pipeline=test_pipeline, test_mode=True),
)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_evaluator = None

train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=max_epochs, val_interval=max_epochs + 1)
optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=1e-4),
                     clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type="LinearLR", start_factor=1 / 3, by_epoch=False, begin=0, end=100),
    dict(type="MultiStepLR", begin=0, end=max_epochs, by_epoch=True, milestones=[8, 11], gamma=0.1),
]
# Training without a trained detector to start from (`train --from-scratch`: the synthetic COCO that
# initialises the LVIS-shaped runs, and COCO-LT): 24 epochs at a higher lr, batch-norm statistics trained.
scratch_epochs = 24
scratch_schedule = dict(
    max_epochs=scratch_epochs,
    lr=0.04,
    param_scheduler=[
        dict(type="LinearLR", start_factor=1 / 3, by_epoch=False, begin=0, end=100),
        dict(type="MultiStepLR", begin=0, end=scratch_epochs, by_epoch=True, milestones=[16, 22], gamma=0.1),
    ],
)
default_hooks = dict(logger=dict(type="LoggerHook", interval=20),
                     checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=2))
auto_scale_lr = dict(enable=False)
