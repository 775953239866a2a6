"""The commented ``gitnews.toml`` that ``gitnews init`` writes: every key with its default."""

from __future__ import annotations

__all__ = ["DEFAULT_TEXT", "default_config_text"]

DEFAULT_TEXT = '''\
# gitnews configuration: what this archive tracks and how.
# Edit by hand or with `gitnews add URL` / `gitnews remove URL`.
# Every key below is optional; the values shown are the defaults.

# Feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed) read on every `gitnews run`.
feeds = []

# Single article URLs tracked without a feed.
articles = []

# Sitemaps, sitemap indexes and Google News sitemaps, read like feeds:
# sitemaps = ["https://example.com/news-sitemap.xml"]
# Front pages (homepages, section fronts): their story lists are versioned in fronts/,
# their stories tracked:
# fronts = ["https://example.com/"]

# Per source (a URL of feeds, sitemaps or fronts): which article URLs to track
# (globs matched against the whole URL, or "re:" + a regular expression searched in it;
# include first, empty = all, then exclude), and how often to read it.
# [sources."https://example.com/news-sitemap.xml"]
# include = ["https://example.com/news/*"]
# exclude = ["*/sport/*", "re:/live/[0-9]+$"]
# interval = "30m"

[archive]
# Author and committer of every version commit.
author_name = "gitnews"
author_email = "gitnews@localhost"

[fetch]
# Seconds allowed to connect, and for a whole response.
connect_timeout_s = 10.0
timeout_s = 30.0
# Largest page accepted, in bytes (after decompression).
max_bytes = 10000000
# Most redirects followed for one URL.
max_redirects = 10
# Pages fetched at once.
concurrency = 8
# A URL or e-mail address for the User-Agent, so that site owners can reach you.
contact = ""
# Politeness. At most this many requests at once to one host:
per_host = 2
# Seconds between the starts of two requests to one host (a robots.txt
# Crawl-delay, when longer, wins).
min_delay_s = 1.0
# Retries of a timeout, connection error or 5xx, with exponential back-off
# (retry_base_s, doubling, with jitter).
retries = 2
retry_base_s = 1.0
# Longest wait within a run for a host that asked us to wait (429/503
# Retry-After, Crawl-delay); a longer wait leaves its pages to the next run.
max_wait_s = 60.0
# robots.txt is obeyed for every URL; list the hosts (and their subdomains)
# whose robots.txt you have permission to ignore, e.g. ["example.com"].
ignore_robots_for = []

[schedule]
# When articles are re-checked (durations: 90s, 10m, 2h, 1d, 1w, 1h30m).
# After each change the first check comes after_change later; every check that
# finds nothing multiplies the wait by backoff (News Sniffer's rule) ...
after_change = "30m"
backoff = 1.2
# ... but, by the time since the last change, the wait is never longer than
# (age limit, longest wait) of the first tier that applies (NewsDiffs' tiers),
tiers = [["1d", "1h"], ["7d", "3h"], ["30d", "3d"]]
# and past the last tier never longer than this.
longest_wait = "7d"
# An article whose last change is older than this is no longer checked
# ("never": always keep checking). `gitnews run --all` checks it anyway.
stop_after = "40d"
# How often each feed is read (at least 1m).
feed_interval = "10m"

# Per host (and its subdomains): another re-check schedule for its articles
# (any of after_change, backoff, tiers, longest_wait, stop_after).
# [schedule.hosts."example.com"]
# after_change = "10m"
# backoff = 1.5
# stop_after = "7d"

[filters]
# Built-in boilerplate filters: date stamps ("Updated 5 minutes ago"), share and
# comment counters and labels, "Related stories" link blocks, "-----" rows.
builtin = true

# Extra patterns per host (and its subdomains; "*" = every host): a paragraph that
# a pattern matches in full is not stored. Python regular expressions; start one
# with (?i) to ignore case. Try them with `gitnews run --dry-run --show-text URL`.
[filters.hosts]
# "example.com" = ['Advertisement', '(?i)share this story']

[changes]
# A new text that lost more than this share of the article's words (or looks
# like a paywall/consent teaser) is held until a later check sees it again.
suspicious_loss = 0.5
# Later checks that must confirm a held text or a removal (0 = commit at once).
confirm_checks = 1
# Seconds that must also pass before a held text is confirmed.
confirm_after_s = 0.0
# Seconds between the first 404/410 (or redirect to the front page) and the
# check that confirms the removal; a later `gitnews run --all` confirms sooner.
removal_confirm_s = 3600.0
# Reverts to an earlier text committed per article; after that, returns to a
# text already in its history (A/B-tested headlines) are only counted.
max_reverts = 2

[publish]
# Push the archive after every run that committed something (as `gitnews run --push`);
# a failed push is reported and tried again on the next run.
push = false
# The git remote to push to (see `git remote -v`) and the branch there.
remote = "origin"
branch = "main"
# Seconds allowed for each fetch or push of the remote.
timeout_s = 600.0

[hooks]
# A shell command run once per new version, in the archive's folder, with the
# change as JSON on stdin and GITNEWS_URL, GITNEWS_VERSION, GITNEWS_PATH set
# (as `gitnews run --on-change COMMAND`). Empty: none.
on_change = ""
# An http(s) URL that receives the same JSON by POST once per new version. Empty: none.
webhook_url = ""
# Seconds allowed for each command or POST.
timeout_s = 60.0
# Only versions at least this significant run the hooks: "minor", "moderate" or
# "major" (their Significance trailer). Empty: every version.
min_significance = ""
# Only versions with one of these kinds run the hooks: Change-Kind values such as
# "headline" or "correction", and "new" for a first version. Empty: every kind.
kinds = []

[wayback]
# The Wayback Machine asked by `gitnews import --wayback URL` (CDX API and capture playback).
base_url = "https://web.archive.org"
# Requests per second: capture listings (CDX queries), and capture downloads.
cdx_requests_per_s = 1.0
capture_requests_per_s = 4.0
# After "429 Too Many Requests", a 5xx answer or a timeout: retries, and the longest wait
# accepted (seconds; a longer Retry-After stops the import of that URL).
max_retries = 5
max_wait_s = 300.0

[captures]
# The raw HTTP exchange behind each version (request headers sent, response status,
# headers and body) is kept as a WARC file on the archive's branch gitnews/captures,
# so that the text can be re-extracted and checked later (docs/archive-format.md).
# "versions": the fetch of every version; "all": also every other 200 answer
# (research on extraction; the archive grows faster); "none": keep nothing.
# Authorization and Cookie headers and proxy credentials are never kept.
keep = "versions"
# Push gitnews/captures along with main. The captures are the publishers' full pages:
# set false for a public remote that must not republish them (copyright).
push = true

[site]
# The public address of the site that `gitnews site` writes (e.g.
# "https://me.github.io/news"), so that feeds can link to its diff pages.
url = ""
# Only the changes of this significance or more ("minor", "moderate", "major")
# and of these kinds (Change-Kind values such as "correction", "headline")
# in the site's feeds and "Latest changes" lists; empty: every change. Each
# article's own pages keep all its versions. `gitnews site --min-significance
# LEVEL --kind KIND` overrides these. Empty by default; for example:
# min_significance = "moderate"
# kinds = ["correction", "headline"]

# Per-site rules, for pages where generic extraction fails: CSS selectors (or
# XPath, starting with "/") for the headline, the body, and parts to remove
# before extraction. A key covers its subdomains. A selector that matches
# nothing is reported for that article and generic extraction is used.
# Try them with `gitnews run --dry-run --show-text URL`.
# [sites."example.com"]
# headline = "h1.headline"
# body = ["div.article-body"]
# remove = [".newsletter-signup", "//aside"]
# On a tracked front page: the CSS selector of its story blocks.
# front = "article.story"
# corrections = ["Nachtrag:"]   # more labels that begin a correction notice
'''


def default_config_text() -> str:
    """The commented ``gitnews.toml`` written by ``gitnews init``."""
    return DEFAULT_TEXT
