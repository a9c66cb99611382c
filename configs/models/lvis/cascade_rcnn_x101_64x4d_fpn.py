# The paper's Cascade R-CNN X101-64x4d-FPN baseline on LVIS v0.5 (Table 2;
# docs/paper-release-and-us.md#schedules-and-hyper-parameters): the X101 Faster R-CNN of faster_rcnn_x101_64x4d_fpn.py
# (same backbone, data, 12-epoch schedule: SGD lr 0.01 for 2 images x 8 GPUs, warm-up 500 iterations from lr/3, x0.1
# after epochs 8 and 11, gradient clipping 35) with the three-stage cascade of mmdet's
# cascade_rcnn/cascade-rcnn_x101-64x4d_fpn_1x_coco.py: class-agnostic regression, stage IoU thresholds 0.5 / 0.6 / 0.7
# (positive = negative = min-positive IoU), stage loss weights 1 / 0.5 / 0.25, stage target_stds [.1,.1,.2,.2],
# [.05,.05,.1,.1], [.033,.033,.067,.067] (#bags-fine-tuning); 512 RoIs per image per stage with 25 % positives, RPN
# 2000/2000 train and 1000/1000 test proposals (NMS 0.7). Test: score_thr 0.001, NMS 0.5, 300 detections per image
# (#baselines).
# Initialised from a COCO-trained Cascade R-CNN X101-64x4d-FPN 2x (#baselines; the paper's mmdet v1 model zoo
# cascade_rcnn_x101_64x4d_fpn_2x; mmdet 3's zoo lists the 1x).
# Pretrained weights are a local path (nothing is downloaded): put the COCO detector at PRETRAINED or change
# the path; a missing file stops the train stage with a clear error.
_base_ = "./faster_rcnn_x101_64x4d_fpn.py"

PRETRAINED = "data/pretrained/cascade_rcnn_x101_64x4d_fpn_2x_coco.pth"
load_from = PRETRAINED

stage_target_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
stage_iou = [0.5, 0.6, 0.7]


def box_head(stds):
    return dict(
        type="Shared2FCBBoxHead",
        in_channels=256,
        fc_out_channels=1024,
        roi_feat_size=7,
        num_classes=80,  # set to the data set's classes by the train stage
        bbox_coder=dict(type="DeltaXYWHBBoxCoder", target_means=[0.0, 0.0, 0.0, 0.0], target_stds=stds),
        reg_class_agnostic=True,
        loss_cls=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0),
        loss_bbox=dict(type="SmoothL1Loss", beta=1.0, loss_weight=1.0),
    )


def stage_train_cfg(iou):
    return dict(
        assigner=dict(type="MaxIoUAssigner", pos_iou_thr=iou, neg_iou_thr=iou, min_pos_iou=iou,
                      match_low_quality=False, ignore_iof_thr=-1),
        sampler=dict(type="RandomSampler", num=512, pos_fraction=0.25, neg_pos_ub=-1, add_gt_as_proposals=True),
        mask_size=28,  # target size of the mask branches of the HTC configs inheriting this one
        pos_weight=-1,
        debug=False,
    )


model = dict(
    type="CascadeRCNN",
    roi_head=dict(
        _delete_=True,
        type="CascadeRoIHead",
        num_stages=3,
        stage_loss_weights=[1, 0.5, 0.25],
        bbox_roi_extractor=dict(
            type="SingleRoIExtractor",
            roi_layer=dict(type="RoIAlign", output_size=7, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32],
        ),
        bbox_head=[box_head(stds) for stds in stage_target_stds],
    ),
    train_cfg=dict(rcnn=[stage_train_cfg(iou) for iou in stage_iou]),
    test_cfg=dict(rcnn=dict(score_thr=0.001, nms=dict(type="nms", iou_threshold=0.5), max_per_img=300)),
)
