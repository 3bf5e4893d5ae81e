"""Every listener of contact events (``kefu.contacts.events``), registered by importing this module. Each process
that stores contacts imports it (the server and the timer worker through ``kefu.worker``, ``kefu import
contacts``): a listener registers when its module is imported, and a process that never imported the KPI rollups
stored contacts the reports never counted (``kefu serve`` did so until 2026-12-04: only the migrations imported
``kefu.reports.rollups``)."""

import kefu.alerts.live  # noqa: F401  (alert counts on new contacts; raises what the rules call for)
import kefu.reports.rollups  # noqa: F401  (KPI rollups of new and changed contacts)
import kefu.satisfaction.service  # noqa: F401  (chat ratings on changed contacts → rating rows)
