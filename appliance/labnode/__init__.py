"""The lab node: a local conferencing node that speaks Pexip Infinity's client API (docs/labnode.md).

Three sub-packages, one direction: ``http`` -> ``state`` -> the seam
(``media_api``) <- ``media``; ``app`` (:class:`~appliance.labnode.app.LabNode`)
and ``cli`` assemble them. The direction is an import-linter contract in
pyproject.toml.
"""
