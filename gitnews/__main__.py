"""``python -m gitnews``: the same as the ``gitnews`` command."""

from gitnews.cli import main

main()
