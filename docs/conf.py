"""Sphinx configuration: MyST Markdown pages, the furo theme, the API from the docstrings.

Offline by design: no intersphinx inventories and no link checks, so ``make docs`` (which
turns every warning into an error) gives the same answer on a machine without a network.
"""

from __future__ import annotations

import alara

project = "alara"
copyright = "the alara authors"
release = alara.__version__
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"alara {release}"
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# Extras the API page documents without installing them for the site build.
autodoc_mock_imports = ["ray", "prometheus_client", "opentelemetry", "starlette", "aiohttp",
                        "django", "fastapi"]
napoleon_google_docstring = True
napoleon_numpy_docstring = False
suppress_warnings = ["myst.header"]
