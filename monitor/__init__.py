"""banwatch: one alert per platform enforcement action reported in the news."""

from __future__ import annotations

__version__ = "0.1.0"
