"""lugha: measure what borrowed models and web data give a language; build a local alternative."""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("lugha")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.1.0"
