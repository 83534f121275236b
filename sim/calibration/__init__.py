"""Calibration from ACD history: read an interval export, fit a scenario, backtest it (docs/calibration.md)."""
