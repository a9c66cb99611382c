"""The embedded benchmark: procedurally rendered images with LVIS-format annotations.

``catalogue`` defines the visual categories (shape x colour x pattern, in families of look-alikes),
``shapes`` their outlines, ``render`` draws images, ``counts`` chooses per-category instance counts,
``scenes`` packs instances into images, and ``build`` assembles a whole LVIS/COCO-format split.
"""
