"""SLA: business calendars, the SLA clock and per-ticket SLA state."""
