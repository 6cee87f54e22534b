"""Synthetic AV-integration firm for ``quicknav demo``, benchmarks and tests.

- :func:`generate_firm` writes a deterministic firm (``Project Folders/...``) and returns its
  :class:`FirmManifest` with ground truth (current designs, Sales & PO reports, change orders).
- :func:`plan_firm` is the same plan without touching the disk (file names, families, mtimes).
- :func:`build_corpus_tree` materialises a catalogue of real relative paths as small files.
"""

from .corpus_tree import build_corpus_tree
from .firm import generate_firm, load_manifest
from .manifest import DesignSeries, FirmManifest, ProjectRecord
from .plan import FirmPlan, plan_firm
from .plan_parts import PlannedFile

__all__ = [
    "DesignSeries",
    "FirmManifest",
    "FirmPlan",
    "PlannedFile",
    "ProjectRecord",
    "build_corpus_tree",
    "generate_firm",
    "load_manifest",
    "plan_firm",
]
