"""kgan's version: kgan-runtime's, read from export/kgan_runtime/VERSION (the one version source).

kgan pins ``kgan-runtime==<the same version>`` (tests/test_version.py checks the pin).
"""

from kgan_runtime import __version__

__all__ = ["__version__"]
