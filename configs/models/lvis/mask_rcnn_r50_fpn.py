# The paper's Mask R-CNN R50-FPN baseline on LVIS v0.5 (Table 3;
# docs/paper-release-and-us.md#schedules-and-hyper-parameters): the R50 recipe of faster_rcnn_r50_fpn.py
# (#shared-faster-r-cnn-setup: 1333x800, 12 epochs, SGD lr 0.01, warm-up 500 iterations from lr/3, x0.1 after epochs 8
# and 11, gradient clipping 35) plus the mask branch of mmdet's mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py (RoIAlign 14x14
# on P2-P5, 4 convs of 256 channels, 28x28 targets, per-class sigmoid mask loss), trained with 1 image per GPU
# (#baselines).
# Batch: the release gives lr 0.01 with 1 image per GPU and the released setup uses 8 GPUs
# (#shared-faster-r-cnn-setup, #known-bugs-and-deviations), so this config takes a total batch of 8 at lr 0.01
# (auto_scale_lr base_batch_size=8: with fewer images the lr scales down linearly).
# Test: score_thr 0.05, NMS 0.5, 100 detections per image for the baseline as released (#baselines,
# #known-bugs-and-deviations; the BAGS Mask model is tested at 0.001 / 300), masks binarised at 0.5.
# Initialisation: the authors' config has load_from None, their README a COCO-trained Mask R-CNN R50-FPN 2x
# (#baselines); this config follows the README (mmdet model zoo mask-rcnn_r50_fpn_2x_coco).
# Pretrained weights are a local path (nothing is downloaded): put the COCO detector at PRETRAINED or change
# the path; a missing file stops the train stage with a clear error.
_base_ = "./faster_rcnn_r50_fpn.py"

PRETRAINED = "data/pretrained/mask_rcnn_r50_fpn_2x_coco.pth"
load_from = PRETRAINED

model = dict(
    type="MaskRCNN",
    data_preprocessor=dict(pad_mask=True),
    roi_head=dict(
        mask_roi_extractor=dict(
            type="SingleRoIExtractor",
            roi_layer=dict(type="RoIAlign", output_size=14, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32],
        ),
        mask_head=dict(
            type="FCNMaskHead",
            num_convs=4,
            in_channels=256,
            conv_out_channels=256,
            num_classes=80,  # set to the data set's classes by the train stage
            loss_mask=dict(type="CrossEntropyLoss", use_mask=True, loss_weight=1.0),
        ),
    ),
    train_cfg=dict(rcnn=dict(mask_size=28)),
    test_cfg=dict(rcnn=dict(score_thr=0.05, nms=dict(type="nms", iou_threshold=0.5), max_per_img=100,
                            mask_thr_binary=0.5)),
)

train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True, with_mask=True),
    dict(type="Resize", scale=(1333, 800), keep_ratio=True),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackDetInputs"),
]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
# lr 0.01 for 8 GPUs x 1 image (see the header); scale with the batch.
auto_scale_lr = dict(enable=True, base_batch_size=8)
