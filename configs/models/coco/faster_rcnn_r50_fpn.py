# Faster R-CNN R50-FPN trained on COCO 2017 or COCO-LT (paper Sec. 5.5 and Figure 1's balanced panel) in a
# real-data profile. Unlike the LVIS configs, these runs cannot start from a COCO-trained detector (it has
# seen all of COCO train), so the backbone starts from ImageNet. Recipe: mmdet's 1x COCO schedule
# (1333x800, 12 epochs, SGD lr 0.02 for 16 images, x0.1 after epochs 8 and 11); the paper does not state
# its COCO-LT schedule. Test: mmdet's COCO setting (score_thr 0.05, NMS 0.5, 100 detections per image).
# Pretrained weights are a local path (nothing is downloaded): put torchvision's ImageNet ResNet-50
# (resnet50-0676ba61.pth) at IMAGENET or change the path; a missing file stops the train stage clearly.
_base_ = "mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py"

IMAGENET = "data/pretrained/resnet50-0676ba61.pth"

model = dict(backbone=dict(init_cfg=dict(type="Pretrained", checkpoint=IMAGENET)))

train_dataloader = dict(batch_size=2, num_workers=2)
test_dataloader = dict(batch_size=1, num_workers=2)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_evaluator = None
# lr 0.02 is for 16 images (8 GPUs x 2); auto_scale_lr scales it with the actual batch.
auto_scale_lr = dict(enable=True, base_batch_size=16)
default_hooks = dict(checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=2))
