"""The traffic simulator (``kefu simulate``): realistic contact streams for demos, tests and benchmarks.

``calendar`` (holidays and events), ``profile`` (shapes, mixes, distributions), ``queueing`` (Erlang C over
arrays), ``spikes`` (``--spike``), ``model`` (a day of contacts as numpy columns) and ``output`` (records
and CSV) are pure: no web framework, no database. ``sinks`` writes to the database through the contacts
service, to CSV or to a running kefu's bulk API; ``command`` is the CLI.
"""

from kefu.simulate.model import Day, Model, Scenario, generate
from kefu.simulate.spikes import Spike, SpikeError, parse_spike

__all__ = ["Day", "Model", "Scenario", "Spike", "SpikeError", "generate", "parse_spike"]
