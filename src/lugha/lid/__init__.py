"""Language identification: bundled offline backends, a user model, and an ensemble that abstains
where a backend cannot know the answer. See lugha.lid.ensemble for the voting rule."""

from lugha.lid.ensemble import Identifier, Prediction

__all__ = ["Identifier", "Prediction"]
