"""Import every model module so that ``Base.metadata`` knows all tables."""

from kefu.accounts import models as _accounts  # noqa: F401
from kefu.alerts import models as _alerts  # noqa: F401
from kefu.audit import models as _audit  # noqa: F401
from kefu.callbacks import models as _callbacks  # noqa: F401
from kefu.catalog import models as _catalog  # noqa: F401
from kefu.channels import models as _channels  # noqa: F401
from kefu.chat import models as _chat  # noqa: F401
from kefu.compensation import models as _compensation  # noqa: F401
from kefu.contacts import events as _contact_events  # noqa: F401  (its after_flush listener)
from kefu.contacts import models as _contacts  # noqa: F401
from kefu.core.db import Base
from kefu.customers import models as _customers  # noqa: F401
from kefu.kb import models as _kb  # noqa: F401
from kefu.notifications import models as _notifications  # noqa: F401
from kefu.scripts import models as _scripts  # noqa: F401
from kefu.sla import models as _sla  # noqa: F401
from kefu.tickets import models as _tickets  # noqa: F401
from kefu.timers import models as _timers  # noqa: F401

metadata = Base.metadata
from kefu.reports import models as _reports  # noqa: F401, E402
from kefu.reports import rollups as _rollups  # noqa: F401, E402  (its contact listeners keep the rollups)
from kefu.satisfaction import models as _satisfaction  # noqa: F401, E402
from kefu.satisfaction import service as _satisfaction_service  # noqa: F401, E402  (chat ratings → rating rows)
from kefu.wfm import models as _wfm  # noqa: F401, E402  (agent state log, its rollup, published rosters)
