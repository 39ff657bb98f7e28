"""Apache Airflow provider for the Wolkvox contact-center platform."""

from __future__ import annotations

__version__ = "0.1.0"
