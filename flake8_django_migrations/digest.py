"""BLAKE2b, the digest of every cache key and entry, and the comparison of a cache entry's MAC, without importing
``hashlib`` and ``hmac``: both load OpenSSL first, about 2 ms of an editor's run on one file, and BLAKE2b is
CPython's own ``_blake2``."""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # another implementation of Python
    from hashlib import blake2b

try:
    from _operator import _compare_digest as same_digest  # what hmac.compare_digest is without OpenSSL
except ImportError:
    from hmac import compare_digest as same_digest  # type: ignore[no-redef]

__all__ = ["blake2b", "same_digest"]
