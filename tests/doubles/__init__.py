"""Test doubles shared by the suite; the hostile entropy sources now ship in ``alara.testing``."""
