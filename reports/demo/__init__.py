"""The demo city: a real OpenStreetMap extract of central Helsinki run as an Italian comune.

`python manage.py load_demo` calls load_demo() when the database is empty.
"""

from reports.demo.loader import DemoSummary, demo_needed, load_demo

__all__ = ["DemoSummary", "demo_needed", "load_demo"]
