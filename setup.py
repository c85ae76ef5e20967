"""Build of the one optional C module, ``alara.entropy._accel``; everything else is in
pyproject.toml. ``optional=True``: without a C compiler the install still succeeds and alara
runs on the pure-Python twins of those functions (``alara.entropy._native`` says which)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("alara.entropy._accel", ["alara/entropy/_accel.c"], optional=True),
    ],
)
