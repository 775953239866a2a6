"""gitnews's version, in one place at the bottom of the package: the package's face
(:data:`gitnews.__version__`), the User-Agent, the feeds' generator, the site's footer and
the GitHub workflow's pin all read it from here, and ``pyproject.toml`` takes the
distribution's version from it.  Imports nothing."""

__version__ = "0.1.0"
