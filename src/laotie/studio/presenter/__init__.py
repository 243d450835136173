"""The digital-human presenter: a 2D avatar whose mouth follows the voice, or Kling's avatar."""

from laotie.studio.presenter.avatar import FaceBox, SpriteSet, default_sprites, find_face
from laotie.studio.presenter.motion import blink_mask, mouth_levels
from laotie.studio.presenter.present import PresenterOptions, present

__all__ = [
    "FaceBox",
    "PresenterOptions",
    "SpriteSet",
    "blink_mask",
    "default_sprites",
    "find_face",
    "mouth_levels",
    "present",
]
