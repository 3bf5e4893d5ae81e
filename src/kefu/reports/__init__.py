"""Analytics and reports (数据分析, M7): KPI definitions, interval rollups, TOP10 reasons, exports."""
