"""Datasette over the archive: the app (`app.py`), the plugin's hooks (`plugin.py`), the pages and
their queries (`pages.py`, `page_data.py`), downloads, table cells, links, charts and templates."""
