"""``gitnews.toml`` <-> :class:`Config`: the settings of an archive.

The file lives at the archive's top level and is committed with it (it says
what the archive tracks).  It is read with :mod:`tomllib` and edited with
tomlkit, which keeps the user's comments and layout.  Each ``[section]`` maps
onto one dataclass; unknown keys and wrong types raise
:class:`~gitnews.errors.ConfigError` naming the key (and, for TOML syntax
errors, the line and column that tomllib reports).

* :mod:`~gitnews.config.settings`: the dataclasses, one per section, and :class:`Config`;
* :mod:`~gitnews.config.load`: text -> :class:`Config` (parse, check types and ranges, load);
* :mod:`~gitnews.config.template`: the commented default file ``gitnews init`` writes;
* :mod:`~gitnews.config.merge`: edits that keep comments (add/remove URLs), the
  three-way merge of two edited copies, and the keys two texts set differently.

Import the names from here (``from gitnews.config import Config``).

Imports: it may import from :mod:`gitnews.format`, :mod:`gitnews.errors` and
:mod:`gitnews.models` (today it needs :mod:`gitnews.errors` only).  Two checks belong
to later packages and are imported inside the functions that run them:
``[schedule]`` is checked by building :class:`gitnews.versions.schedule.Policy` from
it, ``[sites]`` by compiling its selectors (:func:`gitnews.pagetext.siterules.parse_sites`).
"""

from gitnews.config.load import load_config, parse_config
from gitnews.config.merge import ConfigMerge, changed_keys, edit_tracked, merge_config, merge_tracked
from gitnews.config.settings import (
           CONFIG_NAME,
           ArchiveSettings,
           CaptureSettings,
           ChangeSettings,
           Config,
           FetchSettings,
           FilterSettings,
           HookSettings,
           PublishSettings,
           ScheduleSettings,
           SiteSettings,
           WaybackSettings,
)
from gitnews.config.template import default_config_text

__all__ = ["CONFIG_NAME", "Config", "ArchiveSettings", "FetchSettings", "FilterSettings",
           "ChangeSettings", "PublishSettings", "HookSettings", "WaybackSettings",
           "ScheduleSettings", "SiteSettings", "load_config",
           "default_config_text", "parse_config", "edit_tracked", "changed_keys", "ConfigMerge",
           "merge_config", "merge_tracked", "CaptureSettings"]
