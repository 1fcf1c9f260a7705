"""gongkai's command line and the orchestration across its packages (crawl → extract → check,
schedule, demo): the one place that imports crawler/, extract/ and archive/ together.

Kept empty of imports: `gongkai --help` and `gongkai parse` pay only for what they use.
"""
