"""Evaluation: LVIS/COCO AP (official numbers), bin APs AP1..APk, proposal accuracy ACC*."""
