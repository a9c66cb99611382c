"""Training and inference on top of mmengine's Runner and mmdet's models."""
