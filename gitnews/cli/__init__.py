"""The ``gitnews`` command (typer).  The only code that prints or exits.

Each command parses its arguments, calls the core, and prints.  Exit status:
0 success, 1 some items failed (the run completed) or a thing asked for does
not exist, 2 bad usage or configuration, 75 another gitnews process is writing
to the archive (try again later, or pass ``--wait``), 130 interrupted
(:data:`.app.EXIT_STATUSES`, also in ``gitnews --help``).

Where the commands live: :mod:`.tracking` (init, add, remove, feeds), :mod:`.run`
(run, and the stop on SIGINT/SIGTERM the long commands share), :mod:`.listing`
(list), :mod:`.versions` (log, show, diff), :mod:`.site` (feed, site, serve),
:mod:`.importing` (import), :mod:`.status`, :mod:`.maintenance` (gc),
:mod:`.publish` (push, and the end of a run), :mod:`.evidence` (reextract,
verify); :mod:`.app` holds the typer application, the shared options and exit
statuses, :mod:`.printing` what they print through.

The CLI is the top of the house: it may import from every other package of
gitnews.  The core is imported inside each command (start-up time: ``gitnews
--help`` loads neither GitPython nor the core, tests/test_startup.py).
"""

from __future__ import annotations

import importlib

from .app import app, main

#: The modules whose commands register themselves on ``app`` when imported, in the
#: order ``gitnews --help`` lists the commands (imported by name so that sorting the
#: imports cannot change that order).
COMMAND_MODULES = ("tracking", "run", "listing", "versions", "publish", "importing", "site",
                   "maintenance", "status", "evidence")
for _module in COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["app", "main"]
