"""Build of the optional C modules; everything else is in pyproject.toml. ``optional=True``:
without a C compiler the install still succeeds. alara then runs on the pure-Python twins of
``alara.entropy._accel`` (``alara.entropy._native`` says which), and ``CpuSource`` (which needs
``alara.entropy._cpurng``) is unavailable and says why."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("alara.entropy._accel", ["alara/entropy/_accel.c"], optional=True),
        Extension("alara.entropy._cpurng", ["alara/entropy/_cpurng.c"], optional=True),
    ],
)
