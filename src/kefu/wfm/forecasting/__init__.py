"""Half-hourly volume forecasting per queue (话务预测): pure numpy, no web framework, no database.

``history`` builds the (day × interval) matrix, ``model`` the day-level × intraday-profile forecast,
``naive`` the seasonal-naive baseline, ``backtest`` rolling-origin WAPE/MAPE and parameter choice.
"""

from kefu.wfm.forecasting.backtest import Backtest, compare, mape, rolling_origin, tune, wape
from kefu.wfm.forecasting.history import History, from_counts, future_days
from kefu.wfm.forecasting.model import DayProfileFit, Params, fit
from kefu.wfm.forecasting.naive import seasonal_naive

__all__ = ["Backtest", "DayProfileFit", "History", "Params", "compare", "fit", "from_counts", "future_days",
           "mape", "rolling_origin", "seasonal_naive", "tune", "wape"]
