"""Packaging beyond pyproject.toml: the repository's data/ folder (bundled gazetteer,
sample gold and raw text, attribution) ships inside the package as kmner/_bundled,
so an installed kmner finds its defaults (kmner.core.bundled) without a checkout."""

from setuptools import find_packages, setup

BUNDLED = ["kmner._bundled", "kmner._bundled.gazetteer", "kmner._bundled.sample"]

setup(
    packages=find_packages(include=["kmner", "kmner.*"]) + BUNDLED,
    package_dir={"kmner._bundled": "data"},
    package_data={"kmner": ["py.typed"], "kmner._bundled": ["*.md"],
                  "kmner._bundled.gazetteer": ["*"], "kmner._bundled.sample": ["*"]},
    exclude_package_data={"kmner._bundled.sample": ["__pycache__/*"]},
)
