"""Workforce management (预测排班)."""
